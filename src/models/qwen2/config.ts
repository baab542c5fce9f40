/**
 * Hugging Face config.json for the dense students: Qwen2 (`model_type: qwen2`, q/k/v biases) and
 * Llama (`model_type: llama`, `attention_bias` selects q/k/v/o biases). Field names are the HF keys;
 * defaults are transformers' Qwen2Config / LlamaConfig defaults. Errors name the key, the value and
 * what was expected; unknown keys are returned as one warning.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { type Llama3RopeScaling, parseRopeScaling } from './rope-scaling.js';

export interface DenseConfig {
  model_type: 'qwen2' | 'llama';
  architectures: string[];
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  rope_theta: number;
  /** Llama 3 frequency rescaling, or null for plain RoPE (src/models/qwen2/rope-scaling.ts). */
  rope_scaling: Llama3RopeScaling | null;
  tie_word_embeddings: boolean;
  /** Biases on q/k/v (always for Qwen2; `attention_bias` for Llama, which also biases o_proj). */
  attention_bias: boolean;
  hidden_act: 'silu';
  initializer_range: number;
  bos_token_id: number | null;
  eos_token_id: number | number[] | null;
  torch_dtype: string;
}

const REQUIRED = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
] as const;
const KNOWN = new Set<string>([
  ...REQUIRED,
  'model_type',
  'architectures',
  'num_key_value_heads',
  'head_dim',
  'max_position_embeddings',
  'rms_norm_eps',
  'rope_theta',
  'tie_word_embeddings',
  'attention_bias',
  'hidden_act',
  'initializer_range',
  'bos_token_id',
  'eos_token_id',
  'torch_dtype',
  'rope_scaling',
  'use_cache',
  'attention_dropout',
  'sliding_window',
  'use_sliding_window',
  'max_window_layers',
  'transformers_version',
  'mlp_bias',
  'pretraining_tp',
  'pad_token_id',
]);

function posInt(raw: Record<string, unknown>, key: string, fallback?: number): number {
  const v = raw[key] ?? fallback;
  if (v === undefined) throw new Error(`config: required key "${key}" is missing (expected a positive integer)`);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1)
    throw new Error(`config: "${key}" must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

function num(raw: Record<string, unknown>, key: string, fallback: number): number {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
    throw new Error(`config: "${key}" must be a positive number, got ${JSON.stringify(v)}`);
  return v;
}

function bool(raw: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = raw[key] ?? fallback;
  if (typeof v !== 'boolean') throw new Error(`config: "${key}" must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

/** Validates a parsed config.json of a Qwen2 or Llama model. */
export function parseDenseConfig(raw: unknown, source = 'config.json'): { config: DenseConfig; warnings: string[] } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${source}: expected a JSON object`);
  const r = raw as Record<string, unknown>;
  const mt = r.model_type;
  if (mt !== 'qwen2' && mt !== 'llama')
    throw new Error(`${source}: "model_type" must be "qwen2" or "llama", got ${JSON.stringify(mt)}`);
  if ((r.hidden_act ?? 'silu') !== 'silu')
    throw new Error(`${source}: "hidden_act" ${JSON.stringify(r.hidden_act)} is not supported (expected "silu")`);
  const rope = parseRopeScaling(r.rope_scaling, source);
  if (r.mlp_bias === true) throw new Error(`${source}: "mlp_bias": true is not supported`);
  const wrap = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      throw new Error(`${source}: ${(e as Error).message.replace(/^config: /, '')}`);
    }
  };
  const heads = wrap(() => posInt(r, 'num_attention_heads'));
  const hidden = wrap(() => posInt(r, 'hidden_size'));
  const config: DenseConfig = wrap(() => ({
    model_type: mt,
    architectures: [mt === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    vocab_size: posInt(r, 'vocab_size'),
    hidden_size: hidden,
    intermediate_size: posInt(r, 'intermediate_size'),
    num_hidden_layers: posInt(r, 'num_hidden_layers'),
    num_attention_heads: heads,
    num_key_value_heads: posInt(r, 'num_key_value_heads', heads),
    head_dim: posInt(r, 'head_dim', Math.floor(hidden / heads)),
    max_position_embeddings: posInt(r, 'max_position_embeddings', mt === 'qwen2' ? 32768 : 2048),
    rms_norm_eps: num(r, 'rms_norm_eps', 1e-6),
    rope_theta: num(r, 'rope_theta', 10000),
    rope_scaling: rope.scaling,
    tie_word_embeddings: bool(r, 'tie_word_embeddings', false),
    attention_bias: mt === 'qwen2' ? true : bool(r, 'attention_bias', false),
    hidden_act: 'silu',
    initializer_range: num(r, 'initializer_range', 0.02),
    bos_token_id: (r.bos_token_id as number | null | undefined) ?? null,
    eos_token_id: (r.eos_token_id as number | number[] | null | undefined) ?? null,
    torch_dtype: typeof r.torch_dtype === 'string' ? r.torch_dtype : 'float32',
  }));
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    throw new Error(
      `${source}: "num_attention_heads" (${config.num_attention_heads}) must be a multiple of "num_key_value_heads" (${config.num_key_value_heads})`,
    );
  }
  if (config.head_dim % 2 !== 0) throw new Error(`${source}: "head_dim" must be even for RoPE, got ${config.head_dim}`);
  const unknown = Object.keys(r).filter((k) => !KNOWN.has(k));
  const warnings = unknown.length ? [`${source}: ignoring unknown keys ${unknown.join(', ')}`] : [];
  return { config, warnings: [...warnings, ...rope.warnings] };
}

export async function readDenseConfig(path: string): Promise<{ config: DenseConfig; warnings: string[] }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    throw new Error(`${path}: cannot read config (${(e as Error).message})`);
  }
  return parseDenseConfig(raw, path);
}

export async function writeDenseConfig(path: string, config: DenseConfig): Promise<void> {
  const json = {
    ...config,
    ...(config.model_type === 'qwen2' ? { attention_bias: undefined } : {}),
    rope_scaling: config.rope_scaling ?? null,
  };
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(json, null, 2)}\n`));
}
