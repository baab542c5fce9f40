/**
 * The DenseConfig of a llama.cpp GGUF file of architecture `qwen2` or `llama`, from its metadata
 * (`<arch>.block_count`, `.embedding_length`, `.feed_forward_length`, `.attention.head_count`,
 * `.attention.head_count_kv`, `.attention.key_length`, `.context_length`, `.rope.freq_base`,
 * `.attention.layer_norm_rms_epsilon`) and its tensors (vocab from token_embd, an absent
 * output.weight means a tied head, attn_q.bias means Qwen2-style q/k/v biases, the values of
 * rope_freqs.weight come back as config.json's llama3 rope_scaling). Errors name the metadata key or
 * tensor that is missing or wrong.
 */
import type { GgufValue } from '../../io/gguf-format.js';
import type { GgufTensorInfo } from '../../io/gguf-reader.js';
import type { DenseConfig } from './config.js';
import { llama3ScalingFromFreqFactors } from './rope-scaling.js';

/** Architectures this loader maps onto DenseModel. */
export const DENSE_GGUF_ARCHS = ['qwen2', 'llama'] as const;

function num(meta: ReadonlyMap<string, GgufValue>, key: string, source: string, fallback?: number): number {
  const v = meta.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new Error(`${source}: metadata "${key}" is missing; a dense GGUF model needs it`);
  }
  const x = typeof v.value === 'bigint' ? Number(v.value) : v.value;
  if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
    throw new Error(`${source}: metadata "${key}" is ${JSON.stringify(String(v.value))}; expected a positive number`);
  return x;
}

/** Reads the config; `arch` must be one of DENSE_GGUF_ARCHS. */
export function denseConfigFromGguf(
  meta: ReadonlyMap<string, GgufValue>,
  tensors: ReadonlyMap<string, GgufTensorInfo>,
  source: string,
  ropeFreqs?: Float32Array,
): DenseConfig {
  const arch = meta.get('general.architecture')?.value;
  if (arch !== 'qwen2' && arch !== 'llama') {
    const hint =
      arch === 'deepseek2'
        ? '; deepseek2 (DeepSeek-V3 / MLA) files open as DeepSeek-V3 models (serve, chat, eval), not through this dense loader'
        : '';
    throw new Error(
      `${source}: general.architecture is ${JSON.stringify(arch)}; this loader reads ${DENSE_GGUF_ARCHS.join(', ')}${hint}`,
    );
  }
  const embd = tensors.get('token_embd.weight');
  if (embd === undefined || embd.shape.length !== 2)
    throw new Error(`${source}: tensor "token_embd.weight" is missing or not 2-D; it gives vocab_size and hidden_size`);
  const hidden = num(meta, `${arch}.embedding_length`, source);
  const heads = num(meta, `${arch}.attention.head_count`, source);
  const headDim = num(meta, `${arch}.attention.key_length`, source, Math.floor(hidden / heads));
  const ropeTheta = num(meta, `${arch}.rope.freq_base`, source, 10000);
  if (tensors.has('rope_freqs.weight') && ropeFreqs === undefined)
    throw new Error(`${source}: tensor "rope_freqs.weight" (Llama 3 rope scaling) was not read; pass its values`);
  const bias = tensors.has('blk.0.attn_q.bias');
  if (arch === 'llama' && bias)
    throw new Error(`${source}: a llama GGUF with attention biases (blk.0.attn_q.bias) is not supported`);
  const eos = meta.get('tokenizer.ggml.eos_token_id')?.value;
  const bos = meta.get('tokenizer.ggml.bos_token_id')?.value;
  // a bias-free qwen2 file (how this project exports Llama students) computes as a Llama
  const type = arch === 'qwen2' && bias ? 'qwen2' : 'llama';
  return {
    model_type: type,
    architectures: [type === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
    vocab_size: embd.shape[0]!,
    hidden_size: hidden,
    intermediate_size: num(meta, `${arch}.feed_forward_length`, source),
    num_hidden_layers: num(meta, `${arch}.block_count`, source),
    num_attention_heads: heads,
    num_key_value_heads: num(meta, `${arch}.attention.head_count_kv`, source, heads),
    head_dim: headDim,
    max_position_embeddings: num(meta, `${arch}.context_length`, source),
    rms_norm_eps: num(meta, `${arch}.attention.layer_norm_rms_epsilon`, source, 1e-6),
    rope_theta: ropeTheta,
    // llama.cpp keeps Llama 3 scaling as per-pair divisors; they are turned back into config.json's form
    rope_scaling: ropeFreqs ? llama3ScalingFromFreqFactors(ropeFreqs, headDim, ropeTheta, source) : null,
    tie_word_embeddings: !tensors.has('output.weight'),
    attention_bias: type === 'qwen2',
    hidden_act: 'silu',
    initializer_range: 0.02,
    bos_token_id: typeof bos === 'number' ? bos : null,
    eos_token_id: typeof eos === 'number' ? eos : null,
    torch_dtype: 'bfloat16',
  };
}
