/**
 * Fixtures for the training tests: a micro DeepSeek-V3 config (2 layers, 1 MoE layer with 4
 * experts, one MTP module, vocab 64) and a token-shard folder of learnable synthetic documents
 * (counting sequences mod 64 from a random start), so runs take well under a second per step.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardWriter } from '../../src/data/shards.js';
import { parseDeepseekV3Config, type DeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { Rng } from '../../src/tensor/index.js';

export const MICRO = {
  architectures: ['DeepseekV3ForCausalLM'],
  model_type: 'deepseek_v3',
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 64,
  moe_intermediate_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 2,
  n_shared_experts: 1,
  n_routed_experts: 4,
  num_experts_per_tok: 2,
  n_group: 1,
  topk_group: 1,
  routed_scaling_factor: 2.5,
  scoring_func: 'sigmoid',
  topk_method: 'noaux_tc',
  norm_topk_prob: true,
  first_k_dense_replace: 1,
  moe_layer_freq: 1,
  q_lora_rank: 16,
  kv_lora_rank: 16,
  qk_nope_head_dim: 8,
  qk_rope_head_dim: 8,
  v_head_dim: 8,
  max_position_embeddings: 64,
  rope_scaling: null,
  num_nextn_predict_layers: 1,
  tie_word_embeddings: false,
  bos_token_id: 0,
  eos_token_id: 1,
  initializer_range: 0.1,
} as const;

export function microConfig(overrides: Record<string, unknown> = {}): DeepseekV3Config {
  return parseDeepseekV3Config({ ...MICRO, ...overrides }, 'micro').config;
}

export function tmp(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `dsts-train-${prefix}-`));
}

/** A dataset folder with shards/pretrain of counting documents and the micro config.json. */
export function microDataset(docs = 200): { dir: string; configPath: string } {
  const dir = tmp('data');
  const w = new ShardWriter(join(dir, 'shards', 'pretrain'), 64, 4096);
  const rng = new Rng(7);
  for (let d = 0; d < docs; d++) {
    const start = 2 + rng.int(60),
      len = 8 + rng.int(24);
    w.addDocument(Array.from({ length: len }, (_, i) => 2 + ((start - 2 + i) % 62)).concat([1]));
  }
  w.finish();
  const configPath = join(dir, 'micro-config.json');
  writeFileSync(configPath, JSON.stringify(MICRO));
  return { dir, configPath };
}

/** Run-config layer for fast micro runs. */
export function microRun(
  data: { dir: string; configPath: string },
  outDir: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    model: data.configPath,
    dataset_dir: data.dir,
    output_dir: outDir,
    max_steps: 6,
    warmup_steps: 2,
    learning_rate: 1e-2,
    per_device_train_batch_size: 2,
    max_seq_length: 16,
    logging_steps: 1,
    eval_steps: 0,
    save_steps: 3,
    save_total_limit: 0,
    seed: 3,
    threads: 1,
    ...extra,
  };
}
