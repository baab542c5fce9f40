/**
 * One DeepSeek-V3 transformer block (`Block` of DeepSeek's inference/model.py; HF
 * `DeepseekV3DecoderLayer`): pre-norm MLA then pre-norm FFN, each added to the residual stream.
 * The FFN is the dense SwiGLU MLP below first_k_dense_replace (and off the moe_layer_freq stride),
 * DeepSeekMoE otherwise. With a latent cache the attention takes the absorbed path, without one the
 * training path. No departures.
 */
import type { Tensor } from '../../tensor/index.js';
import { add, rmsNorm } from '../../tensor/index.js';
import type { LatentCache, PackedBatch } from './cache.js';
import { isMoeLayer } from './config.js';
import { mlaAbsorbed, mlaTrain, type AttnContext } from './mla.js';
import { mlpForward } from './mlp.js';
import { moeForward, type MoeOutput } from './moe.js';
import { param, type Params } from './weights.js';

export interface BlockOptions {
  /** Absorbed attention on this cache (its layer `cacheLayer`) for the call `batch`; absent: training path. */
  readonly cache?: { readonly cache: LatentCache; readonly layer: number; readonly batch: PackedBatch };
  /** Sequence-wise balance loss weight for MoE blocks (0: off). */
  readonly seqAuxAlpha?: number;
}

export interface BlockOutput {
  /** (B, T, D) */
  readonly h: Tensor;
  /** The MoE layer's routing and load, null for dense blocks. */
  readonly moe: MoeOutput | null;
}

/** Block `layer` (its weights under `model.layers.{layer}`) on x (B, T, D). */
export function blockForward(
  x: Tensor,
  params: Params,
  layer: number,
  ctx: AttnContext,
  opts: BlockOptions = {},
): BlockOutput {
  const c = ctx.config,
    p = `model.layers.${layer}`;
  const a = rmsNorm(x, param(params, `${p}.input_layernorm.weight`), c.rms_norm_eps);
  const attn = opts.cache
    ? mlaAbsorbed(a, params, `${p}.self_attn`, ctx, opts.cache.cache, opts.cache.layer, opts.cache.batch)
    : mlaTrain(a, params, `${p}.self_attn`, ctx);
  const h = add(x, attn);
  const f = rmsNorm(h, param(params, `${p}.post_attention_layernorm.weight`), c.rms_norm_eps);
  if (!isMoeLayer(c, layer)) return { h: add(h, mlpForward(f, params, `${p}.mlp`, ctx.linear)), moe: null };
  const moe = moeForward(f, params, `${p}.mlp`, c, { seqAuxAlpha: opts.seqAuxAlpha ?? 0, linear: ctx.linear });
  return { h: add(h, moe.y), moe };
}
