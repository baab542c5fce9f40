/**
 * Held-out accuracy of a base model by greedy decoding (issue 5, experiment 4): each test problem
 * is prompted in the R1-Zero layout the corpus uses (`renderR1Zero(prompt)`), the model continues
 * greedily on the absorbed latent cache until EOS or `maxNewTokens`, and the task's exact verifier
 * scores the `<answer>`. Prompts of equal token length can share one batched decode; greedyAccuracy
 * decodes one prompt at a time for now (batched `step` on the working-tree model hit a bad routing index).
 */
import type { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { DeepseekV3 as Model } from '../models/deepseek-v3/model.js';
import { isCorrect } from '../tasks/registry.js';
import type { Problem } from '../tasks/types.js';
import { argmax } from '../tensor/index.js';
import { renderR1Zero } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';

export interface TaskAccuracy {
  task: string;
  correct: number;
  total: number;
  accuracy: number;
  example?: { prompt: string; completion: string; ok: boolean };
}

/** Greedy completions of `prompts` (token ids), batched by equal length. */
export function greedyComplete(
  model: DeepseekV3,
  prompts: readonly number[][],
  maxNewTokens: number,
  eosId: number | undefined,
  batchSize = 16,
): number[][] {
  const e = model.engine,
    out: number[][] = prompts.map(() => []);
  const groups = new Map<number, number[]>();
  prompts.forEach((p, i) => {
    const g = groups.get(p.length) ?? [];
    g.push(i);
    groups.set(p.length, g);
  });
  for (const [len, all] of groups) {
    for (let s = 0; s < all.length; s += batchSize) {
      const idx = all.slice(s, s + batchSize),
        B = idx.length;
      const maxLen = Math.min(model.rope.maxLen, len + maxNewTokens);
      if (len >= maxLen) continue;
      const cache = model.createCache(B, maxLen);
      try {
        e.noGrad(() => {
          let input = e.tensor(
            idx.flatMap((i) => prompts[i]!),
            [B, len],
            'i32',
          );
          const done = new Array<boolean>(B).fill(false);
          for (let t = len; t < maxLen && done.includes(false); t++) {
            const next = e.scope(() =>
              Array.from(e.read(argmax(Model.lastLogits(model.step(cache, input).logits), 1))),
            ); // (B)
            input.dispose();
            next.forEach((id, b) => {
              if (!done[b]) {
                out[idx[b]!]!.push(id);
                if (id === eosId) done[b] = true;
              }
            });
            input = e.keep(e.tensor(next, [B, 1], 'i32'));
          }
          input.dispose();
        });
      } finally {
        cache.dispose();
      }
    }
  }
  return out;
}

/** Greedy accuracy per task on held-out problems (at most `perTask` each). */
export function greedyAccuracy(
  model: DeepseekV3,
  tok: Tokenizer,
  tests: ReadonlyMap<string, readonly Problem[]>,
  perTask: number,
  maxNewTokens: number,
): TaskAccuracy[] {
  const results: TaskAccuracy[] = [];
  for (const [task, problems] of tests) {
    const ps = problems.slice(0, perTask);
    // The template's tags are tokens, encoded as the pretraining corpus encoded them (allowSpecial).
    const prompts = ps.map((p) => tok.encode(renderR1Zero(p.prompt), { allowSpecial: true }));
    const completions = greedyComplete(model, prompts, maxNewTokens, tok.eosId, 1).map((ids) => tok.decode(ids));
    const oks = ps.map((p, i) => isCorrect(p, completions[i]!));
    const correct = oks.filter(Boolean).length;
    results.push({
      task,
      correct,
      total: ps.length,
      accuracy: ps.length ? correct / ps.length : 0,
      ...(ps.length ? { example: { prompt: ps[0]!.prompt, completion: completions[0]!, ok: oks[0]! } } : {}),
    });
  }
  return results;
}
