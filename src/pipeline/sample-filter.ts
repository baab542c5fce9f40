/**
 * Rejection sampling as a resumable loop (R1 paper 2.3.3): for each prompt, n completions from a
 * model; each goes through the filters of src/pipeline/filters.ts; up to keep_per_prompt survivors
 * become SFT records in the readable R1 form `<think>\nreasoning\n</think>\n<answer>..</answer>`
 * (src/tokenizer/chat.ts assistantBody), whatever layout the model wrote them in.
 *
 * Progress is appended to a JSONL file after every batch of prompts (the batch's records, every
 * candidate's outcome and the sampling Rng state), so an interrupted stage continues at the next
 * batch and ends with the same set an uninterrupted run would have written.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SftRecord } from '../data/sft.js';
import type { GroupSampler } from '../eval/evaluate.js';
import type { SampleSettings } from '../rl/rollout.js';
import type { Problem } from '../tasks/types.js';
import { Rng } from '../tensor/index.js';
import { assistantBody, parseCompletion } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';
import {
  contentKey,
  countOutcome,
  emptyStats,
  rejectReason,
  type FilterOptions,
  type FilterStats,
  type RejectReason,
} from './filters.js';

export interface SampleFilterOptions {
  /** Progress file (JSONL), one line per finished batch. */
  progressPath: string;
  problems: readonly Problem[];
  sampler: GroupSampler;
  tokenizer: Pick<Tokenizer, 'encode' | 'decode' | 'eosId' | 'addedTokens' | 'vocabSize'>;
  /** The prompt token ids of a problem (a template's `encode`, src/rl/prompts.ts). */
  encode: (p: Problem) => number[];
  /** What the prompt already wrote of the response (the R1 layout opens `<think>\n`). */
  responsePrefix: string;
  n: number;
  settings: Omit<SampleSettings, 'stopTokens'>;
  seed: number;
  filters: FilterOptions;
  keepPerPrompt: number;
  promptsPerBatch: number;
  onProgress?: (done: number, total: number, stats: FilterStats) => void;
}

interface ProgressLine {
  end: number;
  rng: number[];
  records: SftRecord[];
  outcomes: (RejectReason | null)[];
}

/** The readable SFT record of a kept response. */
export function readableRecord(p: Problem, response: string): SftRecord {
  const { reasoning, answer } = parseCompletion(response);
  return {
    task: p.task,
    key: p.key,
    lang: p.lang,
    messages: [
      { role: 'user', content: p.prompt },
      { role: 'assistant', content: assistantBody(reasoning, answer) },
    ],
  };
}

function readProgress(path: string): ProgressLine[] {
  if (!existsSync(path)) return [];
  const out: ProgressLine[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as ProgressLine);
    } catch {
      break;
    } // a torn last line: redo that batch
  }
  return out;
}

/** Runs (or finishes) the loop; returns every kept record and the statistics. */
export async function sampleAndFilter(o: SampleFilterOptions): Promise<{ records: SftRecord[]; stats: FilterStats }> {
  if (!(o.keepPerPrompt >= 1)) throw new Error(`keep_per_prompt must be at least 1, got ${o.keepPerPrompt}`);
  mkdirSync(dirname(o.progressPath), { recursive: true });
  const done = readProgress(o.progressPath);
  if (existsSync(o.progressPath)) {
    // drop a torn tail before appending
    writeFileSync(`${o.progressPath}.tmp`, done.map((l) => `${JSON.stringify(l)}\n`).join(''));
    renameSync(`${o.progressPath}.tmp`, o.progressPath);
  }
  const records: SftRecord[] = [],
    stats = emptyStats(),
    seen = new Set<string>();
  for (const l of done) {
    for (const item of l.records) records.push(item);
    for (const r of l.outcomes) countOutcome(stats, r);
  }
  for (const r of records) seen.add(contentKey(r.key, r.messages[1]!.content));
  let start = done.at(-1)?.end ?? 0;
  const rng = done.length ? Rng.fromState(done.at(-1)!.rng) : new Rng(o.seed);
  const settings: SampleSettings = {
    ...o.settings,
    stopTokens: o.tokenizer.eosId === undefined ? [] : [o.tokenizer.eosId],
    vocabLimit: o.tokenizer.vocabSize,
  };
  while (start < o.problems.length) {
    const batch = o.problems.slice(start, start + o.promptsPerBatch);
    const groups = await o.sampler(
      batch.map((p) => o.encode(p)),
      o.n,
      settings,
      rng,
    );
    const line: ProgressLine = { end: start + batch.length, rng: [], records: [], outcomes: [] };
    groups.forEach((g, j) => {
      const p = batch[j]!;
      let kept = 0;
      g.completions.forEach((ids, r) => {
        const response = o.responsePrefix + o.tokenizer.decode(g.finished[r] ? ids.slice(0, -1) : ids);
        let reason = rejectReason({ problem: p, response, finished: g.finished[r]! }, o.filters, seen);
        if (reason === null && kept >= o.keepPerPrompt) reason = 'surplus';
        if (reason === null) {
          kept++;
          line.records.push(readableRecord(p, response));
        }
        line.outcomes.push(reason);
        countOutcome(stats, reason);
      });
    });
    line.rng = rng.state();
    appendFileSync(o.progressPath, `${JSON.stringify(line)}\n`);
    for (const item of line.records) records.push(item);
    start = line.end;
    o.onProgress?.(start, o.problems.length, stats);
  }
  return { records, stats };
}
