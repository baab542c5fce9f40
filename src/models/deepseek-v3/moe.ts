/**
 * The DeepSeekMoE layer (V3 paper 2.1.2; `MoE` of DeepSeek's inference/model.py): shared experts
 * see every token, routed experts see the tokens the gate sends them, and the output is
 * shared(x) + sum_k weight_k * expert_k(x).
 *
 * Dispatch is grouped, not per token: the N*k (token, slot) assignments are sorted by expert (a
 * counting sort in JS), the tokens are gathered once with indexSelect into one (N*k, D) matrix
 * whose rows for expert e are contiguous, each expert runs three GEMMs on its slice, and a second
 * indexSelect puts the results back in (token, slot) order before the weighted sum over slots.
 * Both indexSelects differentiate into index-adds, so the backward is grouped the same way.
 *
 * Also here: the per-step expert load (tokens per expert) for aux-loss-free balancing, the
 * optional sequence-wise balance loss (V3 eq. 17-20) and the bias update / MaxVio helpers
 * (balance.ts). Departures from DeepSeek's code: experts with no tokens are skipped (same result),
 * n_shared_experts = 0 means no shared expert (DeepSeek always builds one).
 */
import type { Tensor } from '../../tensor/index.js';
import { add, concat, div, indexSelect, mean, mul, reshape, slice, sum } from '../../tensor/index.js';
import type { DeepseekV3Config } from './config.js';
import { route } from './gate.js';
import { mlpForward } from './mlp.js';
import type { LinearFn, Params } from './weights.js';

export interface MoeOptions {
  /** Weight alpha of the sequence-wise balance loss; 0 or absent: not computed. */
  readonly seqAuxAlpha?: number;
  /** The experts' Linear GEMMs (e.g. FP8 simulation); the router always uses the plain one. */
  readonly linear?: LinearFn;
}

export interface MoeOutput {
  /** (B, T, D) */
  readonly y: Tensor;
  /** Tokens routed to each expert in this call (E). */
  readonly load: Int32Array;
  /** Chosen experts per token [N * k] (row-major, by descending biased score). */
  readonly experts: Int32Array;
  /** Gate weights (N, k). */
  readonly weights: Tensor;
  /** Unbiased gate scores (N, E), differentiable (for batch-wise auxiliary losses). */
  readonly scores: Tensor;
  /** alpha * mean over sequences of sum_i f_i P_i, or null. */
  readonly balanceLoss: Tensor | null;
}

/** Sorts the N*k assignments by expert: returns token ids in expert order, each slot's rank, offsets. */
export function groupByExpert(
  experts: Int32Array,
  k: number,
  numExperts: number,
): { tokens: Int32Array; rank: Int32Array; offsets: Int32Array } {
  const offsets = new Int32Array(numExperts + 1);
  for (const e of experts) offsets[e + 1]!++;
  for (let e = 0; e < numExperts; e++) offsets[e + 1]! += offsets[e]!;
  const fill = offsets.slice(0, numExperts),
    tokens = new Int32Array(experts.length),
    rank = new Int32Array(experts.length);
  for (let s = 0; s < experts.length; s++) {
    const at = fill[experts[s]!]!++;
    tokens[at] = Math.floor(s / k);
    rank[s] = at;
  }
  return { tokens, rank, offsets };
}

/** The MoE layer under `prefix` (`model.layers.i.mlp`) on x (B, T, D). */
export function moeForward(
  x: Tensor,
  params: Params,
  prefix: string,
  config: DeepseekV3Config,
  opts: MoeOptions = {},
): MoeOutput {
  const e = x.engine,
    [B, T, D] = x.shape as [number, number, number];
  const N = B * T,
    k = config.num_experts_per_tok,
    E = config.n_routed_experts;
  const x2 = reshape(x, [N, D]); // (N, D)
  const r = route(x2, params, `${prefix}.gate`, config);
  const g = groupByExpert(r.experts, k, E);
  const xs = indexSelect(x2, 0, e.tensor(g.tokens, [N * k], 'i32')); // (N*k, D), grouped by expert
  const outs: Tensor[] = [];
  for (let ex = 0; ex < E; ex++) {
    const a = g.offsets[ex]!,
      b = g.offsets[ex + 1]!;
    if (b > a) outs.push(mlpForward(slice(xs, 0, a, b), params, `${prefix}.experts.${ex}`, opts.linear)); // (n_e, D)
  }
  const ysSorted = outs.length === 1 ? outs[0]! : concat(outs, 0); // (N*k, D), expert order
  const ys = reshape(indexSelect(ysSorted, 0, e.tensor(g.rank, [N * k], 'i32')), [N, k, D]); // (N, k, D)
  let y = sum(mul(ys, reshape(r.weights, [N, k, 1])), 1); // (N, D)
  if (config.n_shared_experts > 0) y = add(y, mlpForward(x2, params, `${prefix}.shared_experts`, opts.linear));
  const alpha = opts.seqAuxAlpha ?? 0;
  const balanceLoss = alpha > 0 ? sequenceBalanceLoss(r.scores, r.experts, B, T, config, alpha) : null;
  return {
    y: reshape(y, [B, T, D]),
    load: r.load,
    experts: r.experts,
    weights: r.weights,
    scores: r.scores,
    balanceLoss,
  };
}

/**
 * V3 eq. 17-20 per sequence: f_i = E / (k T) * (tokens of the sequence routed to i),
 * P_i = mean over the sequence of s_i / sum_j s_j; loss = alpha * mean_b sum_i f_i P_i.
 */
function sequenceBalanceLoss(
  scores: Tensor,
  experts: Int32Array,
  B: number,
  T: number,
  config: DeepseekV3Config,
  alpha: number,
): Tensor {
  const E = config.n_routed_experts,
    k = config.num_experts_per_tok;
  const f = new Float32Array(B * E);
  for (let s = 0; s < experts.length; s++) f[Math.floor(s / (k * T)) * E + experts[s]!]! += E / (k * T);
  const sn = div(scores, sum(scores, 1, { keepdim: true })); // (N, E) normalised affinities
  const P = mean(reshape(sn, [B, T, E]), 1); // (B, E)
  return mul(sum(mul(P, scores.engine.tensor(f, [B, E]))), alpha / B);
}
