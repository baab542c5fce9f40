/**
 * Fixtures for evaluation and student tests: a small BPE tokenizer trained on rendered task prompts
 * (so prompts are short and the R1 special tokens, EOS included, are single ids) and a `data build`
 * style folder holding it under tokenizer/ with a few held-out problems per task under test/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TEMPLATES } from '../../src/rl/prompts.js';
import { getTask } from '../../src/tasks/registry.js';
import { Rng } from '../../src/tasks/rng.js';
import type { Problem } from '../../src/tasks/types.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';

/** `n` problems of a task at level 1 in English, seeded. */
export function someProblems(task: string, n: number, seed: number): Problem[] {
  const rng = new Rng(seed),
    t = getTask(task);
  return Array.from({ length: n }, () => t.generate(rng, 1, 'en'));
}

/** Trains and saves a tokenizer of `vocabSize` ids into `dir`; returns it loaded. */
export function toyTokenizer(dir: string, vocabSize = 400): Tokenizer {
  const docs = ['arithmetic', 'countdown']
    .flatMap((t) => someProblems(t, 20, 7))
    .flatMap((p) => [
      TEMPLATES.r1.render(p),
      TEMPLATES['r1-zero'].render(p),
      `<think>\nwork\n</think>\n<answer>${p.answer}</answer>`,
    ]);
  const t = trainTokenizer(docs, { vocabSize });
  mkdirSync(dir, { recursive: true });
  saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
  return loadTokenizer(dir);
}

/** A dataset folder: tokenizer/ plus test/<task>.jsonl with `perTask` problems each. */
export function toyDataset(dir: string, perTask: number): Tokenizer {
  const tok = toyTokenizer(join(dir, 'tokenizer'));
  mkdirSync(join(dir, 'test'), { recursive: true });
  for (const task of ['arithmetic', 'countdown'])
    writeFileSync(
      join(dir, 'test', `${task}.jsonl`),
      `${someProblems(task, perTask, 11)
        .map((p) => JSON.stringify(p))
        .join('\n')}\n`,
    );
  return tok;
}
