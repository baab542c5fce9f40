/**
 * Every Hugging Face safetensors key of a Qwen2 / Llama checkpoint with its shape: the single list
 * that initialisation, loading, saving and export use.
 */
import type { DenseConfig } from './config.js';

export interface DenseTensorSpec {
  name: string;
  shape: number[];
  role: 'embed' | 'norm' | 'linear' | 'bias' | 'head';
}

export function denseTensors(c: DenseConfig): DenseTensorSpec[] {
  const D = c.hidden_size,
    hd = c.head_dim,
    q = c.num_attention_heads * hd,
    kv = c.num_key_value_heads * hd;
  const specs: DenseTensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, D], role: 'embed' }];
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [D], role: 'norm' });
    for (const [n, out] of [
      ['q_proj', q],
      ['k_proj', kv],
      ['v_proj', kv],
    ] as const) {
      specs.push({ name: `${p}.self_attn.${n}.weight`, shape: [out, D], role: 'linear' });
      if (c.attention_bias) specs.push({ name: `${p}.self_attn.${n}.bias`, shape: [out], role: 'bias' });
    }
    specs.push({ name: `${p}.self_attn.o_proj.weight`, shape: [D, q], role: 'linear' });
    if (c.attention_bias && c.model_type === 'llama')
      specs.push({ name: `${p}.self_attn.o_proj.bias`, shape: [D], role: 'bias' });
    specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [D], role: 'norm' });
    specs.push({ name: `${p}.mlp.gate_proj.weight`, shape: [c.intermediate_size, D], role: 'linear' });
    specs.push({ name: `${p}.mlp.up_proj.weight`, shape: [c.intermediate_size, D], role: 'linear' });
    specs.push({ name: `${p}.mlp.down_proj.weight`, shape: [D, c.intermediate_size], role: 'linear' });
  }
  specs.push({ name: 'model.norm.weight', shape: [D], role: 'norm' });
  if (!c.tie_word_embeddings) specs.push({ name: 'lm_head.weight', shape: [c.vocab_size, D], role: 'head' });
  return specs;
}

/** Total parameter count. */
export function denseParamCount(c: DenseConfig): number {
  return denseTensors(c).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
}
