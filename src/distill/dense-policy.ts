/**
 * A dense student (src/models/qwen2) as a GRPO `Policy`, so the same evaluation code and the same
 * GRPO trainer run on students: that is the R1 paper's comparison (2.4, 4.1: a small model trained
 * by large-scale RL from its base versus the same model distilled). Its rollouts run on the one
 * generation engine (src/rl/rollout.ts: the Scheduler over the DenseLM adapter).
 */
import { DenseLM } from '../inference/dense-adapter.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { DenseModel } from '../models/qwen2/model.js';
import type { Policy } from '../rl/policy.js';
import { rolloutSlots, sampleGroups } from '../rl/rollout.js';
import type { Engine, Tensor } from '../tensor/index.js';

/** A GRPO Policy over a dense parameter map (the map stays the caller's). */
export function densePolicy(
  engine: Engine,
  config: DenseConfig,
  params: ReadonlyMap<string, Tensor>,
  maxLen = config.max_position_embeddings,
  options: { maxSlots?: number } = {},
): Policy {
  const model = new DenseModel(engine, config, params, maxLen);
  return {
    engine,
    vocabSize: config.vocab_size,
    maxContext: model.rope.maxLen,
    logits: (tokens) => model.forward(tokens),
    sampleGroups: (prompts, n, s, rng) => denseSampleGroups(model, prompts, n, s, rng, options.maxSlots),
    dispose: () => model.dispose(),
  };
}

/** Samples `n` completions of each prompt from a dense model on the one generation engine. */
export async function denseSampleGroups(
  model: DenseModel,
  prompts: Parameters<Policy['sampleGroups']>[0],
  n: number,
  s: Parameters<Policy['sampleGroups']>[2],
  rng: Parameters<Policy['sampleGroups']>[3],
  maxSlots?: number,
): ReturnType<Policy['sampleGroups']> {
  const lm = new DenseLM(model, { maxSlots: rolloutSlots(prompts.length, n, maxSlots) });
  try {
    return await sampleGroups(lm, prompts, n, s, rng);
  } finally {
    lm.dispose();
  }
}
