/**
 * Run presets: a DeepSeek-V3-architecture model config (HF config.json keys; vocab_size and the
 * bos/eos ids are replaced by the tokenizer's) plus the run settings that suit it on this
 * project's 2-core machine.
 * - `tiny`: 4 layers (1 dense + 3 MoE with 8 routed experts, top-2, 1 shared), hidden 128, MLA
 *   with q/kv LoRA, one MTP module; learns the task corpus of `data build` in about 20-30 minutes.
 * - `small`: 6 layers, hidden 256, 16 experts in 4 groups (top-4 within 2 groups, the V3 routing
 *   shape), one MTP module; for longer runs.
 */
import type { RunConfig } from './config.js';

export interface RunPreset {
  readonly model: Readonly<Record<string, unknown>>;
  readonly run: Partial<RunConfig>;
}

const COMMON = {
  architectures: ['DeepseekV3ForCausalLM'],
  model_type: 'deepseek_v3',
  hidden_act: 'silu',
  scoring_func: 'sigmoid',
  topk_method: 'noaux_tc',
  norm_topk_prob: true,
  routed_scaling_factor: 2.5,
  first_k_dense_replace: 1,
  moe_layer_freq: 1,
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  rope_scaling: null,
  tie_word_embeddings: false,
  attention_bias: false,
  initializer_range: 0.02,
  torch_dtype: 'float32',
} as const;

const PRESETS: Readonly<Record<string, RunPreset>> = {
  tiny: {
    model: {
      ...COMMON,
      vocab_size: 512,
      hidden_size: 128,
      intermediate_size: 384,
      moe_intermediate_size: 64,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      n_shared_experts: 1,
      n_routed_experts: 8,
      num_experts_per_tok: 2,
      n_group: 1,
      topk_group: 1,
      q_lora_rank: 64,
      kv_lora_rank: 32,
      qk_nope_head_dim: 32,
      qk_rope_head_dim: 16,
      v_head_dim: 32,
      max_position_embeddings: 512,
      num_nextn_predict_layers: 1,
    },
    // Whole R1-Zero-template documents (~250-330 tokens) fit one 512-token sequence, so the model
    // sees prompts from position 0 and completions at the positions it will generate them at.
    run: {
      learning_rate: 2e-3,
      warmup_steps: 100,
      max_steps: 1500,
      per_device_train_batch_size: 4,
      max_seq_length: 512,
      eval_steps: 250,
      save_steps: 250,
      logging_steps: 10,
    },
  },
  small: {
    model: {
      ...COMMON,
      vocab_size: 4096,
      hidden_size: 256,
      intermediate_size: 768,
      moe_intermediate_size: 128,
      num_hidden_layers: 6,
      num_attention_heads: 8,
      num_key_value_heads: 8,
      n_shared_experts: 1,
      n_routed_experts: 16,
      num_experts_per_tok: 4,
      n_group: 4,
      topk_group: 2,
      q_lora_rank: 128,
      kv_lora_rank: 64,
      qk_nope_head_dim: 32,
      qk_rope_head_dim: 16,
      v_head_dim: 32,
      max_position_embeddings: 1024,
      num_nextn_predict_layers: 1,
    },
    run: {
      learning_rate: 1e-3,
      warmup_steps: 200,
      max_steps: 10000,
      per_device_train_batch_size: 8,
      max_seq_length: 512,
      eval_steps: 500,
      save_steps: 500,
      logging_steps: 20,
    },
  },
};

/** The run preset called `name`, or undefined. */
export function runPreset(name: string): RunPreset | undefined {
  return Object.hasOwn(PRESETS, name) ? structuredClone(PRESETS[name]) : undefined;
}

export function runPresetNames(): string[] {
  return Object.keys(PRESETS);
}
