/**
 * The dense student models of R1's distillation (R1 paper section 2.4): Qwen2 and Llama, as Hugging
 * Face's Qwen2ForCausalLM / LlamaForCausalLM compute them: pre-norm blocks of grouped-query
 * attention with rotate-half RoPE and a SwiGLU MLP, RMSNorm, and an (optionally tied) lm_head.
 * Parameters are a Map keyed by HF safetensors names. A per-layer K/V cache serves decoding.
 * For inference on real checkpoints the matrices may instead be compact weights (BF16/F16 or
 * llama.cpp block quantizations, src/nn/compact-linear.ts) under the same keys: a key found in
 * `compact` is used through the decode-on-the-fly kernels, every other key from `params`.
 */
import { linearP, param, type Params } from '../deepseek-v3/weights.js';
import { type CompactWeight, compactEmbedding, compactLinear } from '../../nn/compact-linear.js';
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
import { ropeInvFreq } from './rope-scaling.js';

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
    /** Matrices held compact, by HF key (`<prefix>.weight`); inference only. */
    readonly compact: ReadonlyMap<string, CompactWeight> = new Map(),
  ) {
    this.rope = new RotateHalfRope(
      engine,
      ropeInvFreq(config.head_dim, config.rope_theta, config.rope_scaling ?? null),
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

  /** x @ W^T (+ bias) for the Linear at `prefix`, compact when its weight is. */
  private linear(x: Tensor, prefix: string): Tensor {
    const w = this.compact.get(`${prefix}.weight`);
    if (w === undefined) return linearP(x, this.params, prefix);
    const y = compactLinear(x, w); // (..., in) -> (..., out)
    const b = this.params.get(`${prefix}.bias`);
    return b === undefined ? y : add(y, b);
  }

  private attn(x: Tensor, l: number, start: number, cache?: DenseKvCache): Tensor {
    const c = this.config,
      [B, T] = x.shape as [number, number],
      hd = c.head_dim,
      p = `model.layers.${l}.self_attn`;
    const heads = (name: string, n: number) =>
      permute(reshape(this.linear(x, `${p}.${name}`), [B, T, n, hd]), [0, 2, 1, 3]); // (B, n, T, hd)
    let q = this.rope.apply(heads('q_proj', c.num_attention_heads), start);
    let k = this.rope.apply(heads('k_proj', c.num_key_value_heads), start);
    let v = heads('v_proj', c.num_key_value_heads);
    if (cache) {
      k = cache.append('k', l, k, start);
      v = cache.append('v', l, v, start);
    }
    q = attention(q, k, v, { causal: true }); // (B, H, T, hd); Hk heads shared by groups
    return this.linear(reshape(permute(q, [0, 2, 1, 3]), [B, T, c.num_attention_heads * hd]), `${p}.o_proj`); // (B, T, D)
  }

  /** Logits of the last `last` positions (default all): decoding needs only the final one. */
  private run(tokens: Tensor, start: number, cache?: DenseKvCache, last = tokens.shape[1]!): Tensor {
    this.checkTokens(tokens, start);
    const c = this.config;
    const table = this.compact.get('model.embed_tokens.weight');
    let h = table
      ? compactEmbedding(table, tokens)
      : embedding(param(this.params, 'model.embed_tokens.weight'), tokens); // (B, T, D)
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      h = add(
        h,
        this.attn(rmsNorm(h, param(this.params, `${p}.input_layernorm.weight`), c.rms_norm_eps), l, start, cache),
      );
      const y = rmsNorm(h, param(this.params, `${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const m = swiglu(this.linear(y, `${p}.mlp.gate_proj`), this.linear(y, `${p}.mlp.up_proj`)); // (B, T, I)
      h = add(h, this.linear(m, `${p}.mlp.down_proj`));
    }
    const head = c.tie_word_embeddings ? 'model.embed_tokens' : 'lm_head',
      T = tokens.shape[1]!;
    if (last < T) h = slice(h, 1, T - last, T); // (B, last, D)
    return this.linear(rmsNorm(h, param(this.params, 'model.norm.weight'), c.rms_norm_eps), head); // (B, last, V)
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

  /**
   * Appends tokens (B, Tn) to the cache and returns the logits of their last `last` positions
   * (B, last, V; default all Tn). Use inside noGrad.
   */
  step(cache: DenseKvCache, tokens: Tensor, last = tokens.shape[1]!): Tensor {
    if (!(Number.isInteger(last) && last >= 1 && last <= tokens.shape[1]!))
      throw new Error(`step: last must be an integer in [1, ${tokens.shape[1]}], got ${last}`);
    if (cache.length + tokens.shape[1]! > cache.maxLen)
      throw new Error(
        `step: ${tokens.shape[1]} more tokens overflow the cache (${cache.length} of ${cache.maxLen} used)`,
      );
    const logits = this.run(tokens, cache.length, cache, last);
    cache.length += tokens.shape[1]!;
    return logits;
  }

  dispose(): void {
    this.rope.dispose();
  }
}
