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

// The bias update and MaxVio are the model's (src/models/deepseek-v3/balance.ts); the training
// loop uses them from here together with the batch-wise loss below.
export { maxVio, updateBalanceBias } from '../models/deepseek-v3/balance.js';

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
