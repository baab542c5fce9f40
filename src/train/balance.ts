/**
 * Load balancing of the DeepSeekMoE experts during training (V3 paper 2.1.2 and 4.5.2-4.5.3).
 *
 * - Aux-loss-free balancing: after each optimizer step, every MoE layer's routing bias moves by
 *   bias_i -= gamma * sign(load_i - mean_load) (an overloaded expert's bias falls, an underloaded
 *   one's rises). The bias only steers selection; it never receives a gradient.
 * - MaxVio = max_i load_i / mean_load - 1 (V3 paper 4.5.2), the balance measure we log per layer.
 * - The classic auxiliary loss (DeepSeek-V2 expert-level loss, batch-wise): alpha * sum_i f_i P_i
 *   with f_i = E / (k N) * tokens routed to i and P_i the mean normalised affinity over the batch.
 *   (The sequence-wise variant lives in the model, moe.ts.)
 */
import type { Tensor } from '../tensor/index.js';
import { div, mean, mul, sum } from '../tensor/index.js';

/** In-place aux-loss-free update of a bias tensor [E] from per-expert token counts. */
export function updateBalanceBias(bias: Tensor, load: ArrayLike<number>, gamma: number): void {
  const E = bias.size;
  if (load.length !== E) throw new Error(`updateBalanceBias: load has ${load.length} experts, bias ${E}`);
  if (!(gamma >= 0)) throw new Error(`updateBalanceBias: gamma must be non-negative, got ${gamma}`);
  let total = 0;
  for (let i = 0; i < E; i++) total += load[i]!;
  const avg = total / E;
  const f32 = bias.engine.backend.f32(), base = bias.ptr >>> 2;
  for (let i = 0; i < E; i++) {
    const d = load[i]! - avg;
    f32[base + i] = f32[base + i]! - gamma * (d > 0 ? 1 : d < 0 ? -1 : 0);
  }
}

/** max_i load_i / mean - 1; 0 for an empty load. */
export function maxVio(load: ArrayLike<number>): number {
  let total = 0, mx = 0;
  for (let i = 0; i < load.length; i++) { total += load[i]!; mx = Math.max(mx, load[i]!); }
  if (total === 0) return 0;
  return mx / (total / load.length) - 1;
}

/**
 * Batch-wise auxiliary balance loss alpha * sum_i f_i P_i over N tokens: scores (N, E) are the
 * gate's unbiased affinities, experts [N * k] the chosen indices.
 */
export function auxBalanceLoss(scores: Tensor, experts: Int32Array, k: number, alpha: number): Tensor {
  const [N, E] = scores.shape as [number, number];
  const f = new Float32Array(E);
  for (const ex of experts) f[ex]! += E / (k * N);
  const P = mean(div(scores, sum(scores, 1, { keepdim: true })), 0); // (E) mean normalised affinity
  return mul(sum(mul(P, scores.engine.tensor(f, [E]))), alpha);
}
