/**
 * Token lengths of a built corpus (issue 14: the context must fit the longest search traces of the
 * 4-number tier): each document of corpus.jsonl is encoded with the dataset's own tokenizer, as the
 * token shards encode it (src/data/documents.ts, plus the EOS the shard writer appends), and the
 * lengths are summarised per task, tier and solver mode: whole documents (what the pretraining
 * context must hold) and responses (the tokens after the prompt: what RL's max_completion_length
 * must hold).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { TEMPLATES, type TemplateName } from '../rl/prompts.js';
import { readTestProblems } from '../train/data.js';
import type { CorpusDoc } from './build.js';
import { encodeDocumentParts } from './documents.js';

/** Distribution of one set of lengths. */
export interface LengthStats {
  docs: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Lengths of one group of documents. */
export interface LengthGroup {
  /** "task", "task/tier" or "task/tier/mode" (tier = difficulty level). */
  group: string;
  document: LengthStats;
  response: LengthStats;
}

/** Summarises a list of lengths (nearest-rank percentiles). */
export function lengthStats(xs: readonly number[]): LengthStats {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]! : 0);
  return {
    docs: s.length,
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : 0,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: s.length ? s[s.length - 1]! : 0,
  };
}

/** Token lengths of the corpus in `datasetDir` (its corpus.jsonl and tokenizer/), grouped. */
export function corpusLengths(datasetDir: string): LengthGroup[] {
  const tok = loadTokenizer(join(datasetDir, 'tokenizer'));
  const lines = readFileSync(join(datasetDir, 'corpus.jsonl'), 'utf8').split('\n').filter(Boolean);
  const groups = new Map<string, { doc: number[]; resp: number[] }>();
  const add = (g: string, doc: number, resp: number) => {
    const e = groups.get(g) ?? { doc: [], resp: [] };
    e.doc.push(doc);
    e.resp.push(resp);
    groups.set(g, e);
  };
  for (const line of lines) {
    const d = JSON.parse(line) as CorpusDoc;
    const parts = encodeDocumentParts(tok, d);
    const resp = parts.response.length + 1; // + the EOS the shards add
    const total = parts.prompt.length + resp;
    add('all', total, resp);
    add(d.task, total, resp);
    if (d.difficulty !== undefined) {
      add(`${d.task}/${d.difficulty}`, total, resp);
      if (d.mode !== undefined) add(`${d.task}/${d.difficulty}/${d.mode}`, total, resp);
    }
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)))
    .map(([group, e]) => ({ group, document: lengthStats(e.doc), response: lengthStats(e.resp) }));
}

/**
 * Prompt lengths of the held-out problems in `datasetDir` (test/*.jsonl) under a template, per task:
 * what RL's `max_prompt_length` and the evaluation's context must hold.
 */
export function heldOutPromptLengths(
  datasetDir: string,
  template: TemplateName,
): { task: string; prompt: LengthStats }[] {
  const tok = loadTokenizer(join(datasetDir, 'tokenizer'));
  return [...readTestProblems(datasetDir)].map(([task, ps]) => ({
    task,
    prompt: lengthStats(ps.map((p) => TEMPLATES[template].encode(tok, p).length)),
  }));
}
