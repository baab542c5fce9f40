/**
 * What every evaluation of a checkpoint starts from: the first `limit` problems of each requested
 * task's fixed held-out split in a `data build` folder, and the tokenizer to use (an explicit
 * folder, else the checkpoint's own tokenizer.json, else the dataset's tokenizer/).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from '../tasks/types.js';
import { readTestProblems } from '../train/data.js';

/** Held-out problems per task, in the order of `tasks` (default: every split in the folder). */
export function heldOutProblems(
  datasetDir: string,
  tasks: readonly string[] | undefined,
  limit: number,
): Map<string, Problem[]> {
  const tests = readTestProblems(datasetDir);
  const names = tasks ?? [...tests.keys()];
  for (const t of names)
    if (!tests.has(t))
      throw new Error(`--tasks: ${datasetDir}/test has no ${t}.jsonl; it has ${[...tests.keys()].join(', ')}`);
  return new Map(names.map((t) => [t, tests.get(t)!.slice(0, limit)]));
}

/** The tokenizer folder for a checkpoint evaluated on a dataset. */
export function evalTokenizerDir(modelDir: string, datasetDir: string, override?: string): string {
  return override ?? (existsSync(join(modelDir, 'tokenizer.json')) ? modelDir : join(datasetDir, 'tokenizer'));
}
