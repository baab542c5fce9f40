/**
 * The dense student models of R1's distillation (R1 paper section 2.4): Qwen2 and Llama, as Hugging
 * Face's Qwen2ForCausalLM / LlamaForCausalLM compute them: pre-norm blocks of grouped-query
 * attention with rotate-half RoPE and a SwiGLU MLP, RMSNorm, and an (optionally tied) lm_head.
 * Parameters are a Map keyed by HF safetensors names. Decoding runs on a slot K/V cache
 * (kv-cache.ts): `stepRows` appends rows of any lengths to their own slots in one call.
 * For inference on real checkpoints the matrices may instead be compact weights (BF16/F16 or
 * llama.cpp block quantizations, src/nn/compact-linear.ts) under the same keys: a key found in
 * `compact` is used through the decode-on-the-fly kernels, every other key from `params`.
 */
import { linearP, param, type Params } from '../deepseek-v3/weights.js';
import { type CompactWeight, compactEmbedding, compactLinear } from '../../nn/compact-linear.js';
import { type PackedBatch, packedAttention } from '../../nn/packed-rows.js';
import {
  add,
  attention,
  crossEntropy,
  embedding,
  indexSelect,
  permute,
  reshape,
  rmsNorm,
  slice,
  swiglu,
  type Engine,
  type Tensor,
} from '../../tensor/index.js';
import type { DenseConfig } from './config.js';
import { DenseKvCache } from './kv-cache.js';
import type { RotaryRows } from '../../nn/rotary.js';
import { RotateHalfRope } from './rope.js';
import { ropeInvFreq } from './rope-scaling.js';

export { DenseKvCache };

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

  /** Ids in range; `positions`: the sequence (dim 1) fits the RoPE table (a packed call checks per row instead). */
  private checkTokens(tokens: Tensor, positions: boolean): void {
    if (tokens.dtype !== 'i32' || tokens.rank !== 2)
      throw new Error(`tokens: expected an i32 tensor [batch, seq], got ${tokens.dtype} [${tokens.shape.join(', ')}]`);
    const V = this.config.vocab_size,
      ids = tokens.toArray();
    for (let i = 0; i < ids.length; i++) {
      if (!(ids[i]! >= 0 && ids[i]! < V))
        throw new Error(`tokens: id ${ids[i]} at position ${i} is out of range; expected 0 <= id < vocab_size (${V})`);
    }
    if (positions && tokens.shape[1]! > this.rope.maxLen)
      throw new Error(`tokens: positions up to ${tokens.shape[1]! - 1} exceed maxLen ${this.rope.maxLen}`);
  }

  /** x @ W^T (+ bias) for the Linear at `prefix`, compact when its weight is. */
  private linear(x: Tensor, prefix: string): Tensor {
    const w = this.compact.get(`${prefix}.weight`);
    if (w === undefined) return linearP(x, this.params, prefix);
    return compactLinear(x, w, this.params.get(`${prefix}.bias`)); // (..., in) -> (..., out), bias in the same call
  }

  /** Causal self-attention of x (B, T, D) over itself (training and full passes), rotated with `rows`. */
  private attn(x: Tensor, l: number, rows: RotaryRows): Tensor {
    const c = this.config,
      [B, T] = x.shape as [number, number],
      hd = c.head_dim,
      p = `model.layers.${l}.self_attn`;
    const heads = (name: string, n: number) => reshape(this.linear(x, `${p}.${name}`), [B, T, n, hd]); // (B, T, n, hd)
    const byHead = (t: Tensor) => permute(t, [0, 2, 1, 3]); // (B, T, n, hd) -> (B, n, T, hd)
    const q = byHead(this.rope.rotate(heads('q_proj', c.num_attention_heads), rows));
    const k = byHead(this.rope.rotate(heads('k_proj', c.num_key_value_heads), rows));
    const o = attention(q, k, byHead(heads('v_proj', c.num_key_value_heads)), { causal: true }); // (B, H, T, hd); Hk heads shared by groups
    return this.linear(reshape(permute(o, [0, 2, 1, 3]), [B, T, c.num_attention_heads * hd]), `${p}.o_proj`); // (B, T, D)
  }

  /** Self-attention of packed rows x (1, N, D) through the slot cache (this call's keys are written first). */
  private attnRows(x: Tensor, l: number, cache: DenseKvCache, batch: PackedBatch, rows: RotaryRows): Tensor {
    const c = this.config,
      N = batch.total,
      hd = c.head_dim,
      p = `model.layers.${l}.self_attn`;
    const heads = (name: string, n: number) => reshape(this.linear(x, `${p}.${name}`), [1, N, n, hd]); // (1, N, n*hd) -> (1, N, n, hd)
    const rotated = (name: string, n: number) => reshape(this.rope.rotate(heads(name, n), rows), [N, n, hd]); // (N, n, hd)
    const q = rotated('q_proj', c.num_attention_heads),
      k = rotated('k_proj', c.num_key_value_heads);
    cache.write(l, batch, k, reshape(heads('v_proj', c.num_key_value_heads), [N, c.num_key_value_heads, hd]));
    const o = packedAttention(q, batch, (r) => cache.rows(l, r)); // (N, H, hd); Hk heads shared by groups
    return this.linear(reshape(o, [1, N, c.num_attention_heads * hd]), `${p}.o_proj`); // (1, N, D)
  }

  /**
   * The decoder stack over embedded tokens h (B, T, D) with the given attention. Without a gradient
   * tape each layer runs in its own scope, so only its output outlives it: a 512-token prefill of a
   * 1.5B model would otherwise hold every layer's activations at once (about 100 MB a layer).
   */
  private blocks(h: Tensor, attn: (x: Tensor, l: number) => Tensor): Tensor {
    const c = this.config,
      e = this.engine;
    const layer = (x: Tensor, l: number): Tensor => {
      const p = `model.layers.${l}`;
      const a = add(x, attn(rmsNorm(x, param(this.params, `${p}.input_layernorm.weight`), c.rms_norm_eps), l));
      const y = rmsNorm(a, param(this.params, `${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
      const m = swiglu(this.linear(y, `${p}.mlp.gate_proj`), this.linear(y, `${p}.mlp.up_proj`)); // (B, T, I)
      return add(a, this.linear(m, `${p}.mlp.down_proj`)); // (B, T, D)
    };
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const x = h;
      h = e.isGradEnabled ? layer(x, l) : e.scope(() => layer(x, l));
    }
    return h;
  }

  /** Token embeddings (B, T) -> (B, T, D), from the compact table when the weights are compact. */
  private embed(tokens: Tensor): Tensor {
    const table = this.compact.get('model.embed_tokens.weight');
    return table ? compactEmbedding(table, tokens) : embedding(param(this.params, 'model.embed_tokens.weight'), tokens);
  }

  /** Final norm and lm_head (tied or not): (..., D) -> (..., V). */
  private head(h: Tensor): Tensor {
    const c = this.config;
    return this.linear(
      rmsNorm(h, param(this.params, 'model.norm.weight'), c.rms_norm_eps),
      c.tie_word_embeddings ? 'model.embed_tokens' : 'lm_head',
    );
  }

  /** Logits (B, T, V) of a full causal pass over tokens (B, T). */
  forward(tokens: Tensor): Tensor {
    this.checkTokens(tokens, true);
    const rows = this.rope.at(0, tokens.shape[1]!); // one lookup for every layer's q and k
    return this.head(this.blocks(this.embed(tokens), (x, l) => this.attn(x, l, rows))); // (B, T, V)
  }

  /** Mean next-token cross-entropy; `targets` (B, T) with -100 for ignored positions, default tokens shifted. */
  loss(tokens: Tensor, targets?: Tensor): Tensor {
    const T = tokens.shape[1]!;
    const logits = this.forward(tokens);
    if (targets) return crossEntropy(logits, targets);
    return crossEntropy(slice(logits, 1, 0, T - 1), slice(tokens, 1, 1, T)); // (B, T-1, V) vs (B, T-1)
  }

  /** A K/V cache for `slots` sequences of up to `maxLen` tokens each. */
  createCache(slots: number, maxLen = this.rope.maxLen): DenseKvCache {
    if (maxLen > this.rope.maxLen)
      throw new Error(`createCache: maxLen ${maxLen} exceeds the model's ${this.rope.maxLen} positions`);
    return new DenseKvCache(this.engine, this.config, slots, maxLen);
  }

  /**
   * Appends each row's tokens to its own slot (rows may differ in length and position: continuous
   * batching, chunked prefill) and returns the logits (P, V) of the packed tokens at `picks`
   * (indices into the N tokens packed row after row; decoding needs each row's last only), with the
   * batch layout (row offsets). Use inside engine.noGrad.
   */
  stepRows(
    cache: DenseKvCache,
    rows: readonly { slot: number; tokens: readonly number[] }[],
    picks: readonly number[],
  ): { logits: Tensor; batch: PackedBatch } {
    const batch = cache.pack(
      rows.map((r) => r.slot),
      rows.map((r) => r.tokens.length),
    );
    if (picks.length === 0 || !picks.every((i) => Number.isInteger(i) && i >= 0 && i < batch.total))
      throw new Error(
        `stepRows: picks must be >= 1 indices into the call's ${batch.total} tokens, got [${picks.join(', ')}]`,
      );
    const e = this.engine,
      tokens = e.tensor(
        rows.flatMap((r) => [...r.tokens]),
        [1, batch.total],
        'i32',
      );
    this.checkTokens(tokens, false); // each row's end was checked against the cache by pack()
    const rot = this.rope.at(batch.positions, batch.total); // one lookup for every layer's q and k
    const h = this.blocks(this.embed(tokens), (x, l) => this.attnRows(x, l, cache, batch, rot)); // (1, N, D)
    cache.advance(batch);
    const at = e.tensor(Int32Array.from(picks), [picks.length], 'i32');
    return { logits: this.head(indexSelect(reshape(h, [batch.total, h.shape[2]!]), 0, at)), batch }; // (N, D) -> (P, D) -> (P, V)
  }

  dispose(): void {
    this.rope.dispose();
  }
}
