/**
 * Named configs, kept as the config.json objects their checkpoints ship (so they pass through the
 * same validation as a file), and returned as fresh validated copies.
 *
 * - `deepseek-v3`: deepseek-ai/DeepSeek-V3 config.json (671B; V3 technical report, table in 4.2;
 *   DeepSeek-R1 uses the same). FP8 `quantization_config` as shipped.
 * - `deepseek-v2-lite`: deepseek-ai/DeepSeek-V2-Lite config.json (15.7B total, 2.4B active; no q
 *   LoRA, softmax gate, greedy top-6, model_type deepseek_v2).
 * - `bench-small`: shared/bench/bench-small.json, the project's speed yardstick (6.49M parameters).
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type DeepseekV3Config, type ParsedConfig, parseDeepseekV3Config, readDeepseekV3Config } from './config.js';

const DEEPSEEK_V3 = {
  architectures: ['DeepseekV3ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  aux_loss_alpha: 0.001,
  bos_token_id: 0,
  eos_token_id: 1,
  ep_size: 1,
  first_k_dense_replace: 3,
  hidden_act: 'silu',
  hidden_size: 7168,
  initializer_range: 0.02,
  intermediate_size: 18432,
  kv_lora_rank: 512,
  max_position_embeddings: 163840,
  model_type: 'deepseek_v3',
  moe_intermediate_size: 2048,
  moe_layer_freq: 1,
  n_group: 8,
  n_routed_experts: 256,
  n_shared_experts: 1,
  norm_topk_prob: true,
  num_attention_heads: 128,
  num_experts_per_tok: 8,
  num_hidden_layers: 61,
  num_key_value_heads: 128,
  num_nextn_predict_layers: 1,
  pretraining_tp: 1,
  q_lora_rank: 1536,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  quantization_config: {
    activation_scheme: 'dynamic',
    fmt: 'e4m3',
    quant_method: 'fp8',
    weight_block_size: [128, 128],
  },
  rms_norm_eps: 1e-6,
  rope_scaling: {
    beta_fast: 32,
    beta_slow: 1,
    factor: 40,
    mscale: 1.0,
    mscale_all_dim: 1.0,
    original_max_position_embeddings: 4096,
    type: 'yarn',
  },
  rope_theta: 10000,
  routed_scaling_factor: 2.5,
  scoring_func: 'sigmoid',
  seq_aux: true,
  tie_word_embeddings: false,
  topk_group: 4,
  topk_method: 'noaux_tc',
  torch_dtype: 'bfloat16',
  use_cache: true,
  v_head_dim: 128,
  vocab_size: 129280,
} as const;

const DEEPSEEK_V2_LITE = {
  architectures: ['DeepseekV2ForCausalLM'],
  attention_bias: false,
  attention_dropout: 0.0,
  aux_loss_alpha: 0.001,
  bos_token_id: 100000,
  eos_token_id: 100001,
  first_k_dense_replace: 1,
  hidden_act: 'silu',
  hidden_size: 2048,
  initializer_range: 0.02,
  intermediate_size: 10944,
  kv_lora_rank: 512,
  max_position_embeddings: 163840,
  model_type: 'deepseek_v2',
  moe_intermediate_size: 1408,
  moe_layer_freq: 1,
  n_group: 1,
  n_routed_experts: 64,
  n_shared_experts: 2,
  norm_topk_prob: false,
  num_attention_heads: 16,
  num_experts_per_tok: 6,
  num_hidden_layers: 27,
  num_key_value_heads: 16,
  pretraining_tp: 1,
  q_lora_rank: null,
  qk_nope_head_dim: 128,
  qk_rope_head_dim: 64,
  rms_norm_eps: 1e-6,
  rope_scaling: {
    beta_fast: 32,
    beta_slow: 1,
    factor: 40,
    mscale: 0.707,
    mscale_all_dim: 0.707,
    original_max_position_embeddings: 4096,
    type: 'yarn',
  },
  rope_theta: 10000,
  routed_scaling_factor: 1.0,
  scoring_func: 'softmax',
  seq_aux: true,
  tie_word_embeddings: false,
  topk_group: 1,
  topk_method: 'greedy',
  torch_dtype: 'bfloat16',
  use_cache: true,
  v_head_dim: 128,
  vocab_size: 102400,
} as const;

const BENCH_SMALL = {
  architectures: ['DeepseekV3ForCausalLM'],
  model_type: 'deepseek_v3',
  vocab_size: 512,
  hidden_size: 256,
  intermediate_size: 512,
  moe_intermediate_size: 128,
  num_hidden_layers: 4,
  num_attention_heads: 8,
  num_key_value_heads: 8,
  n_shared_experts: 1,
  n_routed_experts: 16,
  num_experts_per_tok: 4,
  n_group: 4,
  topk_group: 2,
  routed_scaling_factor: 2.5,
  scoring_func: 'sigmoid',
  topk_method: 'noaux_tc',
  norm_topk_prob: true,
  first_k_dense_replace: 1,
  moe_layer_freq: 1,
  q_lora_rank: 128,
  kv_lora_rank: 64,
  qk_nope_head_dim: 32,
  qk_rope_head_dim: 16,
  v_head_dim: 32,
  hidden_act: 'silu',
  max_position_embeddings: 256,
  rms_norm_eps: 1e-6,
  rope_theta: 10000.0,
  rope_scaling: null,
  tie_word_embeddings: false,
  attention_bias: false,
  num_nextn_predict_layers: 0,
  bos_token_id: 0,
  eos_token_id: 1,
} as const;

const PRESETS: Readonly<Record<string, unknown>> = Object.freeze({
  'deepseek-v3': DEEPSEEK_V3,
  'deepseek-v2-lite': DEEPSEEK_V2_LITE,
  'bench-small': BENCH_SMALL,
});

/** Names of the built-in presets. */
export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The raw config.json object of a preset (a fresh copy), or undefined for an unknown name. */
export function presetConfigJson(name: string): Record<string, unknown> | undefined {
  const p = Object.hasOwn(PRESETS, name) ? PRESETS[name] : undefined;
  return p === undefined ? undefined : (structuredClone(p) as Record<string, unknown>);
}

/** A validated copy of a preset config. Throws naming the known presets when `name` is not one. */
export function getPreset(name: string): DeepseekV3Config {
  const json = presetConfigJson(name);
  if (!json) throw new Error(`preset "${name}" is unknown; expected one of ${presetNames().join(', ')}`);
  return parseDeepseekV3Config(json, `preset ${name}`).config;
}

/**
 * Resolves a command-line config argument: a preset name, a config.json path, or a folder holding
 * config.json. Returns the validated config and any warnings.
 */
export async function resolveConfig(arg: string): Promise<ParsedConfig> {
  if (presetConfigJson(arg)) return { config: getPreset(arg), warnings: [] };
  const info = await stat(arg).catch(() => undefined);
  if (!info)
    throw new Error(
      `"${arg}" is neither a preset (${presetNames().join(', ')}) nor an existing config.json or checkpoint folder`,
    );
  return readDeepseekV3Config(info.isDirectory() ? join(arg, 'config.json') : arg);
}
