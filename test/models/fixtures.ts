/**
 * Small DeepSeek-V3 configs and model builders for the model tests: a base config in HF keys that
 * each test varies (softmax gate without bias, q_lora_rank null, no YaRN, MTP modules, ...), built
 * through the real config parser, with seeded initial weights.
 */
import { parseDeepseekV3Config, type DeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { DeepseekV3, type ModelOptions } from '../../src/models/deepseek-v3/model.js';
import { Rng, type Engine, type Tensor } from '../../src/tensor/index.js';

export const BASE_CONFIG: Record<string, unknown> = {
  model_type: 'deepseek_v3',
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 48,
  moe_intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  n_shared_experts: 1,
  n_routed_experts: 8,
  num_experts_per_tok: 2,
  n_group: 4,
  topk_group: 2,
  routed_scaling_factor: 2.5,
  scoring_func: 'sigmoid',
  topk_method: 'noaux_tc',
  norm_topk_prob: true,
  first_k_dense_replace: 1,
  q_lora_rank: 16,
  kv_lora_rank: 8,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 4,
  v_head_dim: 8,
  max_position_embeddings: 32,
  rms_norm_eps: 1e-6,
  initializer_range: 0.1,
  rope_scaling: {
    type: 'yarn',
    factor: 4,
    original_max_position_embeddings: 8,
    beta_fast: 32,
    beta_slow: 1,
    mscale: 1,
    mscale_all_dim: 1,
  },
  num_nextn_predict_layers: 0,
};

export function tinyConfig(overrides: Record<string, unknown> = {}): DeepseekV3Config {
  return parseDeepseekV3Config({ ...BASE_CONFIG, ...overrides }, 'test config').config;
}

/** A model with seeded random weights; dispose with `disposeModel`. */
export function tinyModel(
  engine: Engine,
  overrides: Record<string, unknown> = {},
  seed = 1,
  opts: ModelOptions = {},
): DeepseekV3 {
  const config = tinyConfig(overrides);
  const params = initParams(engine, config, new Rng(seed));
  // Random correction biases make the selection differ from the unbiased ranking.
  const rng = new Rng(seed + 100);
  for (const [k, p] of params) {
    if (k.endsWith('e_score_correction_bias'))
      engine.backend.f32().set(
        Array.from({ length: p.size }, () => 0.05 * rng.normal()),
        p.ptr >>> 2,
      );
  }
  return new DeepseekV3(engine, config, params, opts);
}

export function disposeModel(m: DeepseekV3): void {
  m.dispose();
  for (const p of m.params.values()) {
    p.grad?.dispose();
    p.dispose();
  }
}

/** Seeded token ids (B, T). */
export function randomTokens(engine: Engine, B: number, T: number, vocab: number, seed = 7): Tensor {
  const rng = new Rng(seed);
  return engine.tensor(
    Array.from({ length: B * T }, () => rng.int(vocab)),
    [B, T],
    'i32',
  );
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`maxAbsDiff: lengths ${a.length} and ${b.length} differ`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
