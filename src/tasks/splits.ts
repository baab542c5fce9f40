/**
 * Train / held-out test splits that are disjoint by construction: a problem belongs to the test
 * split exactly when the SHA-256 of its canonical key falls in the reserved bucket (1 in
 * TEST_BUCKETS). Training generation rejects those problems, test generation keeps only them, so
 * no seed, size or difficulty setting can leak a test problem into training.
 */
import { createHash } from 'node:crypto';
import { Rng } from './rng.js';
import { LANGS, type Lang, type Problem, type Task } from './types.js';

export const TEST_BUCKETS = 20;

/** True when the problem with this canonical key is reserved for the held-out test split. */
export function isTestKey(key: string): boolean {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % TEST_BUCKETS === 0;
}

/** What to generate. */
export interface GenerateSpec {
  task: Task;
  split: 'train' | 'test';
  count: number;
  seed: number;
  difficulties?: readonly number[];
  langs?: readonly Lang[];
  /** Reject repeated problems (always on for the test split). */
  unique?: boolean;
}

/** Generates `count` problems of one split, deterministic for the spec. */
export function generateProblems(spec: GenerateSpec): Problem[] {
  const { task, split, count } = spec;
  const difficulties = spec.difficulties ?? task.defaultDifficulties ?? task.difficulties;
  const langs = spec.langs ?? LANGS;
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`${task.name}: count must be a non-negative integer, got ${count}`);
  const rng = new Rng(spec.seed).fork(`${task.name}/${split}`);
  const unique = split === 'test' || spec.unique === true;
  const seen = new Set<string>();
  const out: Problem[] = [];
  const maxAttempts = 2000 + count * 400;
  for (let attempt = 0; out.length < count; attempt++) {
    if (attempt >= maxAttempts) {
      throw new Error(
        `${task.name}: could only generate ${out.length} of ${count} ${unique ? 'unique ' : ''}${split} ` +
          `problems at difficulties ${difficulties.join(',')}; lower the count or raise the difficulty`,
      );
    }
    const difficulty = rng.pick(difficulties);
    const lang = langs[out.length % langs.length]!;
    const p = task.generate(rng, difficulty, lang);
    if (isTestKey(p.key) !== (split === 'test')) continue;
    if (unique) {
      if (seen.has(p.key)) continue;
      seen.add(p.key);
    }
    out.push(p);
  }
  return out;
}
