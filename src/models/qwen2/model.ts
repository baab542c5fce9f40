/**
 * The dense student models of R1's distillation (R1 paper section 2.4): Qwen2 and Llama, as Hugging
 * Face's Qwen2ForCausalLM / LlamaForCausalLM compute them: pre-norm blocks of grouped-query
 * attention with rotate-half RoPE and a SwiGLU MLP, RMSNorm, and an (optionally tied) lm_head.
 * Parameters are a Map keyed by HF safetensors names. A per-layer K/V cache serves decoding.
 */
import { linearP, param, type Params } from '../deepseek-v3/weights.js';
import {
  add,
  attention,
  crossEntropy,
  embedding,
  permute,
  reshape,
  rmsNorm,
  slice,
  swiglu,
  type Engine,
  type Tensor,
} from '../../tensor/index.js';
import type { DenseConfig } from './config.js';
import { RotateHalfRope } from './rope.js';

/** Keys and values of every layer for `batch` sequences that advance together. */
export class DenseKvCache {
  readonly k: Tensor[];
  readonly v: Tensor[];
  length = 0;
  constructor(
    readonly engine: Engine,
    c: DenseConfig,
    readonly batch: number,
    readonly maxLen: number,
  ) {
    const shape = [batch, c.num_key_value_heads, maxLen, c.head_dim];
    this.k = Array.from({ length: c.num_hidden_layers }, () => engine.keep(engine.zeros(shape)));
    this.v = Array.from({ length: c.num_hidden_layers }, () => engine.keep(engine.zeros(shape)));
  }
  /** Writes x [B, Hk, Tn, hd] at positions start.. and returns the cached [B, Hk, start+Tn, hd]. */
  append(which: 'k' | 'v', layer: number, x: Tensor, start: number): Tensor {
    const store = this[which][layer]!,
      Tn = x.shape[2]!;
    const dst = slice(store, 2, start, start + Tn);
    this.engine.backend.copy(x.ptr, x.strides, dst.ptr, dst.strides, x.shape);
    return slice(store, 2, 0, start + Tn);
  }
  dispose(): void {
    for (const t of [...this.k, ...this.v]) t.dispose();
  }
}

export class DenseModel {
  readonly rope: RotateHalfRope;

  constructor(
    readonly engine: Engine,
    readonly config: DenseConfig,
    readonly params: Params,
    maxLen = config.max_position_embeddings,
  ) {
    this.rope = new RotateHalfRope(
      engine,
      config.head_dim,
      config.rope_theta,
      Math.min(maxLen, config.max_position_embeddings),
    );
  }

  private checkTokens(tokens: Tensor, start: number): void {
    if (tokens.dtype !== 'i32' || tokens.rank !== 2)
      throw new Error(`tokens: expected an i32 tensor [batch, seq], got ${tokens.dtype} [${tokens.shape.join(', ')}]`);
    const V = this.config.vocab_size,
      ids = tokens.toArray();
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i]! >= 0 && ids[i]! < V))
        throw new Error(`tokens: id ${ids[i]} at position ${i} is out of range; expected 0 <= id < vocab_size (${V})`);
    }
    if (start + tokens.shape[1]! > this.rope.maxLen)
      throw new Error(`tokens: positions up to ${start + tokens.shape[1]! - 1} exceed maxLen ${this.rope.maxLen}`);
  }

  private attn(x: Tensor, l: number, start: number, cache?: DenseKvCache): Tensor {
    const c = this.config,
      [B, T] = x.shape as [number, number],
      hd = c.head_dim,
      p = `model.layers.${l}.self_attn`;
    const heads = (name: string, n: number) =>
      permute(reshape(linearP(x, this.params, `${p}.${name}`), [B, T, n, hd]), [0, 2, 1, 3]); // (B, n, T, hd)
    let q = this.rope.apply(heads('q_proj', c.num_attention_heads), start);
    let k = this.rope.apply(heads('k_proj', c.num_key_value_heads), start);
    let v = heads('v_proj', c.num_key_value_heads);
    if (cache) {
      k = cache.append('k', l, k, start);
      v = cache.append('v', l, v, start);
    }
    q = attention(q, k, v, { causal: true }); // (B, H, T, hd); Hk heads shared by groups
    return linearP(reshape(permute(q, [0, 2, 1, 3]), [B, T, c.num_attention_heads * hd]), this.params, `${p}.o_proj`); // (B, T, D)
  }

  private run(tokens: Tensor, start: number, cache?: DenseKvCache): Tensor {
    this.checkTokens(tokens, start);
    const c = this.config;
    let h = embedding(param(this.params, 'model.embed_tokens.weight'), tokens); // (B, T, D)
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      h = add(
        h,
        this.attn(rmsNorm(h, param(this.params, `${p}.input_layernorm.weight`), c.rms_norm_eps), l, start, cache),
      );
      const y = rmsNorm(h, param(this.params, `${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const m = swiglu(linearP(y, this.params, `${p}.mlp.gate_proj`), linearP(y, this.params, `${p}.mlp.up_proj`)); // (B, T, I)
      h = add(h, linearP(m, this.params, `${p}.mlp.down_proj`));
    }
    const head = c.tie_word_embeddings ? 'model.embed_tokens' : 'lm_head';
    return linearP(rmsNorm(h, param(this.params, 'model.norm.weight'), c.rms_norm_eps), this.params, head); // (B, T, V)
  }

  /** Logits (B, T, V) of a full causal pass over tokens (B, T). */
  forward(tokens: Tensor): Tensor {
    return this.run(tokens, 0);
  }

  /** Mean next-token cross-entropy; `targets` (B, T) with -100 for ignored positions, default tokens shifted. */
  loss(tokens: Tensor, targets?: Tensor): Tensor {
    const T = tokens.shape[1]!;
    const logits = this.forward(tokens);
    if (targets) return crossEntropy(logits, targets);
    return crossEntropy(slice(logits, 1, 0, T - 1), slice(tokens, 1, 1, T)); // (B, T-1, V) vs (B, T-1)
  }

  createCache(batch: number, maxLen = this.rope.maxLen): DenseKvCache {
    return new DenseKvCache(this.engine, this.config, batch, maxLen);
  }

  /** Appends tokens (B, Tn) to the cache and returns their logits (B, Tn, V). Use inside noGrad. */
  step(cache: DenseKvCache, tokens: Tensor): Tensor {
    if (cache.length + tokens.shape[1]! > cache.maxLen)
      throw new Error(
        `step: ${tokens.shape[1]} more tokens overflow the cache (${cache.length} of ${cache.maxLen} used)`,
      );
    const logits = this.run(tokens, cache.length, cache);
    cache.length += tokens.shape[1]!;
    return logits;
  }

  dispose(): void {
    this.rope.dispose();
  }
}
