/**
 * The policy GRPO trains and the frozen reference it is held to, over a DeepSeek-V3 parameter map:
 * full-sequence logits with gradient (the update), group sampling on the generation engine without
 * (the rollout: src/rl/rollout.ts over the model's CausalLM adapter), a frozen
 * copy of the parameters for pi_ref, and TRL's reference refresh (`sync_ref_model`: every
 * `ref_model_sync_steps`, ref <- alpha * policy + (1 - alpha) * ref, alpha = ref_model_mixup_alpha).
 */
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import type { Engine, Rng, Tensor } from '../tensor/index.js';
import { BinaryOp } from '../kernels/backend.js';
import { DeepseekV3LM } from '../inference/deepseek-adapter.js';
import { rolloutSlots, sampleGroups, type GroupRollout, type SampleSettings } from './rollout.js';

/** What the GRPO trainer needs from a model. */
export interface Policy {
  readonly engine: Engine;
  readonly vocabSize: number;
  /** Longest sequence (prompt + completion) the model takes. */
  readonly maxContext: number;
  /** Logits (B, T, V) of int32 tokens (B, T), recording the graph when grad mode is on. */
  logits(tokens: Tensor): Tensor;
  /** n sampled completions of each prompt, one group per prompt (no gradient). */
  sampleGroups(
    prompts: readonly (readonly number[])[],
    n: number,
    s: SampleSettings,
    rng: Rng,
  ): Promise<GroupRollout[]>;
  dispose(): void;
}

/** A Policy over a DeepSeek-V3 parameter map (the map stays the caller's). */
export function deepseekPolicy(
  engine: Engine,
  config: DeepseekV3Config,
  params: ReadonlyMap<string, Tensor>,
  maxLen = config.max_position_embeddings,
  options: { maxSlots?: number } = {},
): Policy {
  const model = new DeepseekV3(engine, config, params, { maxLen });
  return {
    engine,
    vocabSize: config.vocab_size,
    maxContext: maxLen,
    logits: (tokens) => model.forward(tokens).logits,
    sampleGroups: async (prompts, n, s, rng) => {
      // One slot per completion (every group of a GRPO step decodes together), or options.maxSlots.
      const lm = new DeepseekV3LM(model, { maxSlots: rolloutSlots(prompts.length, n, options.maxSlots), mtp: false });
      try {
        return await sampleGroups(lm, prompts, n, s, rng);
      } finally {
        lm.dispose();
      }
    },
    dispose: () => model.dispose(),
  };
}

/** A frozen copy of `params` (no gradients), living until disposed. */
export function cloneParams(params: ReadonlyMap<string, Tensor>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, p] of params) {
    const e = p.engine,
      c = e.keep(e.empty(p.shape));
    e.backend.copy(p.ptr, p.strides, c.ptr, c.strides, p.shape);
    out.set(k, c);
  }
  return out;
}

/** ref <- alpha * policy + (1 - alpha) * ref, in place (alpha = 1 copies). */
export function mixParams(ref: ReadonlyMap<string, Tensor>, policy: ReadonlyMap<string, Tensor>, alpha: number): void {
  if (!(alpha >= 0 && alpha <= 1)) throw new Error(`ref_model_mixup_alpha must be in [0, 1], got ${alpha}`);
  for (const [k, r] of ref) {
    const p = policy.get(k);
    if (!p || p.size !== r.size) throw new Error(`mixParams: policy has no parameter "${k}" of ${r.size} values`);
    const b = r.engine.backend;
    b.binaryScalar(BinaryOp.MUL, r.ptr, 1 - alpha, r.ptr, r.size, false);
    b.axpy(alpha, p.ptr, r.ptr, r.size);
  }
}
