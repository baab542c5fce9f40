/**
 * Multi-head Latent Attention (V2 paper 2.1, V3 paper 2.1.1; `MLA` of DeepSeek's
 * inference/model.py), in its two equivalent forms:
 * - training path (`mlaTrain`, DeepSeek's attn_impl "naive"): kv_b_proj expands the normalised
 *   latent into per-head k_nope and v; k = [k_nope ; k_pe shared by all heads].
 * - absorbed path (`mlaAbsorbed`, attn_impl "absorb"): only kv_a_layernorm(c) and the rotated k_pe
 *   are cached; kv_b_proj's key half is folded into the query (q_nope W_uk) and its value half
 *   into the output, so attention runs against the latent cache as one shared key/value head.
 *
 * Dimension legend: B batch, T tokens, H heads, D hidden, C kv_lora_rank, R qk_rope_head_dim,
 * Dn qk_nope_head_dim, Dv v_head_dim, Dq = Dn + R.
 *
 * Departures from DeepSeek's code: parameter names are the HF keys (q_a_proj, not wq_a); optional
 * biases (attention_bias) are added when the checkpoint has them; the causal mask comes from the
 * attention op (a prefill after cached tokens is masked correctly; DeepSeek's mask assumes
 * start_pos 0 for multi-token calls).
 */
import type { Tensor } from '../../tensor/index.js';
import {
  add,
  attention,
  concat,
  expand,
  matmul,
  mul,
  permute,
  reshape,
  rmsNorm,
  slice,
  softmax,
  split,
  transpose,
} from '../../tensor/index.js';
import { packedAttention } from '../../nn/packed-rows.js';
import type { LatentCache, PackedBatch, RowSpan } from './cache.js';
import type { DeepseekV3Config } from './config.js';
import type { Rope } from './rope.js';
import { linearP, param, type LinearFn, type Params } from './weights.js';

/** What attention needs besides weights: the config, the RoPE tables and the softmax scale. */
export interface AttnContext {
  readonly config: DeepseekV3Config;
  readonly rope: Rope;
  readonly scale: number;
  /**
   * 'fused': the engine's attention op (one kernel, row at a time); 'matmul': scores, softmax and
   * mix as batched GEMMs (more memory, [B, H, T, T] scores, but GEMM speed). Same result.
   */
  readonly attention: 'fused' | 'matmul';
  /** The Linear GEMM of every block projection (plainLinear, or e.g. an FP8 simulation). */
  readonly linear: LinearFn;
}

/** Causal attention of q (B, H, Tq, Dk) over k (B, Hk, Tk, Dk), v (B, Hk, Tk, Dv) -> (B, H, Tq, Dv). */
function attend(q: Tensor, k: Tensor, v: Tensor, ctx: AttnContext): Tensor {
  if (ctx.attention === 'fused' || q.shape[1] !== k.shape[1])
    return attention(q, k, v, { scale: ctx.scale, causal: true });
  const e = q.engine,
    Tq = q.shape[2]!,
    Tk = k.shape[2]!;
  const mask = new Float32Array(Tq * Tk); // query i sits at position i + Tk - Tq
  for (let i = 0; i < Tq; i++) mask.fill(-Infinity, i * Tk + i + Tk - Tq + 1, (i + 1) * Tk);
  const s = add(matmul(mul(q, ctx.scale), transpose(k)), e.tensor(mask, [Tq, Tk])); // (B, H, Tq, Dk) @ (B, H, Dk, Tk) -> (B, H, Tq, Tk)
  return matmul(softmax(s), v); // (B, H, Tq, Tk) @ (B, H, Tk, Dv) -> (B, H, Tq, Dv)
}

/** Queries split into their no-rope part and rotated rope part, both (B, T, H, .). */
function queries(
  x: Tensor,
  params: Params,
  prefix: string,
  ctx: AttnContext,
  start: number | Int32Array,
): [Tensor, Tensor] {
  const c = ctx.config,
    [B, T] = x.shape as [number, number, number];
  const H = c.num_attention_heads,
    Dn = c.qk_nope_head_dim,
    R = c.qk_rope_head_dim;
  const q =
    c.q_lora_rank === null
      ? linearP(x, params, `${prefix}.q_proj`, ctx.linear) // (B, T, H*Dq)
      : linearP(
          rmsNorm(
            linearP(x, params, `${prefix}.q_a_proj`, ctx.linear),
            param(params, `${prefix}.q_a_layernorm.weight`),
            c.rms_norm_eps,
          ),
          params,
          `${prefix}.q_b_proj`,
          ctx.linear,
        ); // (B, T, q_lora) -> (B, T, H*Dq)
  const [qNope, qPe] = split(reshape(q, [B, T, H, Dn + R]), [Dn, R], 3); // (B, T, H, Dn), (B, T, H, R)
  return [qNope!, ctx.rope.apply(qPe!, start)];
}

/** The normalised latent (B, T, C) and the rotated shared k_pe (B, T, 1, R). */
function latent(
  x: Tensor,
  params: Params,
  prefix: string,
  ctx: AttnContext,
  start: number | Int32Array,
): [Tensor, Tensor] {
  const c = ctx.config,
    [B, T] = x.shape as [number, number, number];
  const kv = linearP(x, params, `${prefix}.kv_a_proj_with_mqa`, ctx.linear); // (B, T, C + R)
  const [lat, kPe] = split(kv, [c.kv_lora_rank, c.qk_rope_head_dim], 2);
  const latN = rmsNorm(lat!, param(params, `${prefix}.kv_a_layernorm.weight`), c.rms_norm_eps); // (B, T, C)
  const kRot = ctx.rope.apply(reshape(kPe!, [B, T, 1, c.qk_rope_head_dim]), start); // (B, T, 1, R)
  return [latN, kRot];
}

/** Merges heads (B, H, T, Dv) -> (B, T, H*Dv) and applies o_proj. */
function output(o: Tensor, params: Params, prefix: string, ctx: AttnContext): Tensor {
  const [B, H, T, Dv] = o.shape as [number, number, number, number];
  const merged = reshape(permute(o, [0, 2, 1, 3]), [B, T, H * Dv]); // (B, T, H, Dv) -> (B, T, H*Dv)
  return linearP(merged, params, `${prefix}.o_proj`, ctx.linear); // (B, T, D)
}

/** Training-path MLA over a whole causal sequence x (B, T, D) starting at position `start` -> (B, T, D). */
export function mlaTrain(x: Tensor, params: Params, prefix: string, ctx: AttnContext, start = 0): Tensor {
  const c = ctx.config,
    [B, T] = x.shape as [number, number, number];
  const H = c.num_attention_heads,
    Dn = c.qk_nope_head_dim,
    R = c.qk_rope_head_dim,
    Dv = c.v_head_dim;
  const [qNope, qPe] = queries(x, params, prefix, ctx, start);
  const [latN, kPe] = latent(x, params, prefix, ctx, start);
  const kv = reshape(linearP(latN, params, `${prefix}.kv_b_proj`, ctx.linear), [B, T, H, Dn + Dv]); // (B, T, H, Dn+Dv)
  const [kNope, v] = split(kv, [Dn, Dv], 3); // (B, T, H, Dn), (B, T, H, Dv)
  const heads = (t: Tensor): Tensor => permute(t, [0, 2, 1, 3]); // (B, T, H, .) -> (B, H, T, .) view
  const q = concat([heads(qNope), heads(qPe)], 3); // (B, H, T, Dq), contiguous for the kernel
  const kPeH = expand(kPe, [B, T, H, R]); // (B, T, 1, R) -> (B, T, H, R): one head shared
  const k = concat([heads(kNope!), heads(kPeH)], 3); // (B, H, T, Dq)
  const o = attend(q, k, heads(v!), ctx); // (B, H, T, Dv)
  return output(o, params, prefix, ctx);
}

/**
 * Absorbed-path MLA for one call over the latent cache: x holds the call's tokens packed in `batch`
 * order ((R, n, D) for a uniform batch, (1, N, D) otherwise). Their latent rows are written into
 * `cache` layer `layer` and each token attends to its own slot's rows up to its position. The caller
 * advances the cache after all layers ran. Returns the same shape as x.
 */
export function mlaAbsorbed(
  x: Tensor,
  params: Params,
  prefix: string,
  ctx: AttnContext,
  cache: LatentCache,
  layer: number,
  batch: PackedBatch,
): Tensor {
  const c = ctx.config,
    [B, T] = x.shape as [number, number, number],
    N = batch.total;
  const H = c.num_attention_heads,
    Dn = c.qk_nope_head_dim,
    R = c.qk_rope_head_dim,
    Dv = c.v_head_dim,
    C = c.kv_lora_rank;
  if (B * T !== N) throw new Error(`mlaAbsorbed: x [${x.shape.join(', ')}] does not hold the batch's ${N} tokens`);
  const pos = batch.uniform ? batch.rows[0]!.start : batch.positions;
  const [qNope, qPe] = queries(x, params, prefix, ctx, pos);
  const [latN, kPe] = latent(x, params, prefix, ctx, pos);
  cache.write(layer, batch, reshape(concat([latN, reshape(kPe, [B, T, R])], 2), [N, C + R])); // (N, C + R)
  const wkv = reshape(param(params, `${prefix}.kv_b_proj.weight`), [H, Dn + Dv, C]); // (H, Dn+Dv, C)
  const wUk = slice(wkv, 1, 0, Dn),
    wUv = slice(wkv, 1, Dn, Dn + Dv); // (H, Dn, C), (H, Dv, C)
  const qLat = matmul(transpose(reshape(qNope, [N, H, Dn]), 0, 1), wUk); // (H, N, Dn) @ (H, Dn, C) -> (H, N, C)
  const q = concat([transpose(qLat, 0, 1), reshape(qPe, [N, H, R])], 2); // (N, H, C + R)
  // The cached rows are both key and value: attending with v = keys (C + R wide) and dropping the
  // last R output columns avoids copying a strided value slice of the whole cache.
  const keys = (rows: readonly RowSpan[]) => {
    const k = cache.keys(layer, rows); // (rows, 1, L, C + R)
    return { k, v: k };
  };
  const o = slice(packedAttention(q, batch, keys, ctx.scale), 2, 0, C); // (N, H, C + R) -> (N, H, C) view
  const out = matmul(transpose(o, 0, 1), transpose(wUv)); // (H, N, C) @ (H, C, Dv) -> (H, N, Dv)
  return linearP(reshape(transpose(out, 0, 1), [B, T, H * Dv]), params, `${prefix}.o_proj`, ctx.linear); // (B, T, D)
}
