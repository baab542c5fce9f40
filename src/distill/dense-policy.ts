/**
 * A dense student (src/models/qwen2) with the rollout contract of src/rl/rollout.ts (n completions
 * per prompt, deterministic for an Rng state) and as a GRPO `Policy`, so the same evaluation code
 * and the same GRPO trainer run on students: that is the R1 paper's comparison (2.4, 4.1: a small
 * model trained by large-scale RL from its base versus the same model distilled).
 *
 * A group is n copies of one prompt in a batch-n K/V cache: the prompt is prefilled once for all
 * rows, then every row decodes one token per call; rows that hit a stop token are fed their stop
 * token again and ignored (the dense cache advances its rows together), so a group costs as much
 * as its longest completion. Prompts are processed one group after the other.
 */
import { makeSampler } from '../inference/sampling.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { DenseModel } from '../models/qwen2/model.js';
import type { Policy } from '../rl/policy.js';
import type { GroupRollout, SampleSettings } from '../rl/rollout.js';
import type { Engine, Rng, Tensor } from '../tensor/index.js';

/** n completions of each prompt from a dense model. */
export function denseSampleGroups(
  model: DenseModel,
  prompts: readonly (readonly number[])[],
  n: number,
  s: SampleSettings,
  rng: Rng,
): GroupRollout[] {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`denseSampleGroups: n must be a positive integer, got ${n}`);
  const e = model.engine,
    V = model.config.vocab_size,
    maxLen = model.rope.maxLen,
    sampler = makeSampler(s),
    stop = new Set(s.stopTokens);
  return prompts.map((prompt, k) => {
    if (prompt.length === 0)
      throw new Error(`denseSampleGroups: prompts[${k}] is empty; expected at least one token id`);
    const maxNew = Math.min(s.maxNewTokens, maxLen - prompt.length);
    if (maxNew < 1)
      throw new Error(
        `denseSampleGroups: a prompt of ${prompt.length} tokens leaves no room in the model's ${maxLen}-token context`,
      );
    const completions: number[][] = Array.from({ length: n }, () => []),
      finished = new Array<boolean>(n).fill(false);
    const cache = model.createCache(n, maxLen);
    const call = (ids: number[], T: number): Float32Array =>
      e.noGrad(() =>
        e.scope(() => {
          const logits = model.step(cache, e.tensor(ids, [n, T], 'i32')); // (n, T, V)
          const all = e.read(logits) as Float32Array,
            out = new Float32Array(n * V);
          for (let r = 0; r < n; r++) out.set(all.subarray((r * T + T - 1) * V, (r * T + T) * V), r * V);
          return out; // last position of each row, (n * V)
        }),
      );
    try {
      let logits = call(Array.from({ length: n }, () => [...prompt]).flat(), prompt.length);
      for (let t = 0; t < maxNew; t++) {
        const next: number[] = [];
        for (let r = 0; r < n; r++) {
          if (finished[r]) {
            next.push(completions[r]!.at(-1)!);
            continue;
          }
          const tok = sampler(logits.subarray(r * V, (r + 1) * V), rng);
          completions[r]!.push(tok);
          if (stop.has(tok)) finished[r] = true;
          next.push(tok);
        }
        if (finished.every(Boolean) || t === maxNew - 1) break;
        logits = call(next, 1);
      }
    } finally {
      cache.dispose();
    }
    return { completions, finished };
  });
}

/** A GRPO Policy over a dense parameter map (the map stays the caller's). */
export function densePolicy(
  engine: Engine,
  config: DenseConfig,
  params: ReadonlyMap<string, Tensor>,
  maxLen = config.max_position_embeddings,
): Policy {
  const model = new DenseModel(engine, config, params, maxLen);
  return {
    engine,
    vocabSize: config.vocab_size,
    maxContext: model.rope.maxLen,
    logits: (tokens) => model.forward(tokens),
    sampleGroups: (prompts, n, s, rng) => denseSampleGroups(model, prompts, n, s, rng),
    dispose: () => model.dispose(),
  };
}
