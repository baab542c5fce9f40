/**
 * Auxiliary-loss-free load balancing (V3 paper 2.1.2): after each training step every MoE layer's
 * e_score_correction_bias moves against its expert load, b_i -= gamma * sign(load_i - mean_load)
 * (gamma = 0.001 in the paper), outside autograd (the bias only steers selection). MaxVio
 * (Wang et al. 2024, used in the V3 ablations) measures the imbalance: max_i load_i / mean - 1.
 * The loads come from the MoE layers' outputs (MoeOutput.load) of the step, possibly summed over
 * micro-batches with `addLoads`. DeepSeek's inference code has no training; no departures.
 */
import { isMoeLayer, type DeepseekV3Config } from './config.js';
import type { MoeOutput } from './moe.js';
import type { Tensor } from '../../tensor/index.js';
import type { Params } from './weights.js';

/** Per layer index, tokens routed to each expert during a step (only MoE layers present). */
export type LayerLoads = Map<number, Float64Array>;

/** Adds the loads of one forward pass (per-layer MoE outputs, null for dense layers) into `acc`. */
export function addLoads(acc: LayerLoads, moe: readonly (MoeOutput | null)[], layerOffset = 0): LayerLoads {
  moe.forEach((m, i) => {
    if (!m) return;
    const layer = i + layerOffset;
    let a = acc.get(layer);
    if (!a) {
      a = new Float64Array(m.load.length);
      acc.set(layer, a);
    }
    for (let e = 0; e < m.load.length; e++) a[e]! += m.load[e]!;
  });
  return acc;
}

/** MaxVio: max_i load_i / mean(load) - 1 (0 for a perfectly balanced or empty load). */
export function maxVio(load: ArrayLike<number>): number {
  let sum = 0,
    max = 0;
  for (let i = 0; i < load.length; i++) {
    sum += load[i]!;
    max = Math.max(max, load[i]!);
  }
  return sum === 0 ? 0 : max / (sum / load.length) - 1;
}

/** In place on one layer's bias [E]: b_i -= gamma * sign(load_i - mean(load)). No gradient. */
export function updateBalanceBias(bias: Tensor, load: ArrayLike<number>, gamma: number): void {
  if (!(gamma >= 0)) throw new Error(`updateBalanceBias: gamma must be a non-negative number, got ${gamma}`);
  if (bias.size !== load.length || !bias.isContiguous) {
    throw new Error(
      `updateBalanceBias: bias [${bias.shape.join(', ')}] must be a contiguous vector of ${load.length} (one per expert load)`,
    );
  }
  let mean = 0;
  for (let e = 0; e < load.length; e++) mean += load[e]! / load.length;
  const mem = bias.engine.backend.f32(),
    at = bias.ptr >>> 2;
  for (let e = 0; e < load.length; e++) mem[at + e]! -= gamma * Math.sign(load[e]! - mean);
}

/**
 * updateBalanceBias for every MoE layer in `loads` (its e_score_correction_bias; layers without
 * one, topk_method other than noaux_tc, are skipped). Returns MaxVio per layer.
 */
export function updateBalanceBiases(
  params: Params,
  config: DeepseekV3Config,
  loads: LayerLoads,
  gamma = 0.001,
): Map<number, number> {
  const vio = new Map<number, number>();
  for (const [layer, load] of loads) {
    if (!isMoeLayer(config, layer)) throw new Error(`updateBalanceBiases: layer ${layer} is not an MoE layer`);
    vio.set(layer, maxVio(load));
    const bias = params.get(`model.layers.${layer}.mlp.gate.e_score_correction_bias`);
    if (bias) updateBalanceBias(bias, load, gamma);
  }
  return vio;
}
