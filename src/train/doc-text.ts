/**
 * Text of held-out problems in the layouts the model trains on: the pretraining corpus layout of
 * `data build` (R1-Zero template, clean solver trace, answer) and the SFT chat record.
 */
import { type DocumentText, r1ZeroDocument } from '../data/documents.js';
import { sftRecord, type SftRecord } from '../data/sft.js';
import { getTask } from '../tasks/registry.js';
import type { Problem } from '../tasks/types.js';

/** A held-out problem written like a clean corpus document. */
export function buildDatasetDocText(p: Problem): DocumentText {
  const s = getTask(p.task).solve(p);
  return r1ZeroDocument(p.prompt, s.steps.join('\n'), s.answer);
}

/** A held-out problem as a clean SFT chat record. */
export function heldOutSftRecord(p: Problem): SftRecord {
  const s = getTask(p.task).solve(p);
  return sftRecord(p, { kind: 'clean', reasoning: s.steps.join('\n'), answer: s.answer });
}
