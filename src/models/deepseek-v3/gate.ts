/**
 * The DeepSeekMoE router (V3 paper 2.1.2, eq. 13-16; `Gate` of DeepSeek's inference/model.py).
 *
 * scores = sigmoid (or softmax) of x @ gate.weight^T. Selection uses scores + e_score_correction_bias
 * (the aux-loss-free balancing bias; it never gets a gradient). With n_group > 1 the experts are
 * split into n_group groups, each group is ranked by the sum of its top-2 biased scores (its max
 * when there is no bias), and only the best topk_group groups stay eligible; then the top-k experts
 * are picked. The gate weights come from the *unbiased* scores, normalised to sum 1 for sigmoid
 * when norm_topk_prob, times routed_scaling_factor.
 *
 * The selection is discrete and runs on the scores read back to JS (N x E floats: cheap next to
 * the experts' GEMMs); the weights are gathered from the score tensor so gradients reach
 * gate.weight. As in DeepSeek's code, group limiting follows n_group alone (topk_method only
 * decides, in params.ts, whether the correction bias exists). Departures: the bias is used whenever
 * the checkpoint has it (DeepSeek keys it on dim == 7168); excluded groups are masked to -infinity
 * (as DeepSeek's current code does; an older version multiplied them by 0).
 */
import type { Tensor } from '../../tensor/index.js';
import { div, gather, mul, sigmoid, softmax, sum } from '../../tensor/index.js';
import type { DeepseekV3Config } from './config.js';
import { linearP, type Params } from './weights.js';

/** A routing decision for N tokens. */
export interface Routing {
  /** Chosen experts, [N * k] row-major (token n at n*k .. n*k+k-1), by descending biased score. */
  readonly experts: Int32Array;
  /** Their gate weights (N, k), differentiable. */
  readonly weights: Tensor;
  /** The unbiased scores (N, E), differentiable (the sequence-wise balance loss uses them). */
  readonly scores: Tensor;
  /** Tokens routed to each expert (E). */
  readonly load: Int32Array;
}

/** Indices of the k largest values of v[0..n) (descending; ties to the lower index; NaN ranks last). */
function topIndices(v: Float32Array | Float64Array, n: number, k: number, out: Int32Array, outAt: number): void {
  for (let j = 0; j < k; j++) {
    let best = -1,
      bestV = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = v[i]! === v[i]! ? v[i]! : -Infinity; // NaN scores (a diverging run) never win
      if (x > bestV || (best < 0 && x === bestV)) {
        let taken = false;
        for (let q = 0; q < j; q++)
          if (out[outAt + q] === i) {
            taken = true;
            break;
          }
        if (!taken) {
          best = i;
          bestV = x;
        }
      }
    }
    out[outAt + j] = best;
  }
}

/** Picks each token's experts from its scores [N, E] (row-major) and the optional bias [E]. */
export function selectExperts(
  scores: Float32Array,
  bias: Float32Array | null,
  n: number,
  config: DeepseekV3Config,
): Int32Array {
  const E = config.n_routed_experts,
    k = config.num_experts_per_tok;
  const G = config.n_group,
    per = E / G;
  const out = new Int32Array(n * k);
  const biased = new Float32Array(E),
    groupScore = new Float64Array(G),
    keptGroups = new Int32Array(config.topk_group);
  const top2 = new Int32Array(2);
  for (let t = 0; t < n; t++) {
    for (let e = 0; e < E; e++) biased[e] = scores[t * E + e]! + (bias ? bias[e]! : 0);
    if (G > 1) {
      for (let g = 0; g < G; g++) {
        const grp = biased.subarray(g * per, (g + 1) * per);
        if (bias) {
          topIndices(grp, per, 2, top2, 0);
          groupScore[g] = grp[top2[0]!]! + grp[top2[1]!]!;
        } else {
          topIndices(grp, per, 1, top2, 0);
          groupScore[g] = grp[top2[0]!]!;
        }
      }
      topIndices(groupScore, G, config.topk_group, keptGroups, 0);
      for (let g = 0; g < G; g++) {
        if (!keptGroups.includes(g)) biased.fill(-Infinity, g * per, (g + 1) * per);
      }
    }
    topIndices(biased, E, k, out, t * k);
  }
  return out;
}

/** Routes x (N, D) through the gate whose weights sit under `prefix` (`model.layers.i.mlp.gate`). */
export function route(x: Tensor, params: Params, prefix: string, config: DeepseekV3Config): Routing {
  const e = x.engine,
    N = x.shape[0]!,
    E = config.n_routed_experts,
    k = config.num_experts_per_tok;
  const logits = linearP(x, params, prefix); // (N, D) @ (D, E) -> (N, E)
  const scores = config.scoring_func === 'softmax' ? softmax(logits) : sigmoid(logits);
  const biasT = params.get(`${prefix}.e_score_correction_bias`);
  const bias = biasT ? (e.read(biasT) as Float32Array) : null;
  const experts = selectExperts(e.read(scores) as Float32Array, bias, N, config);
  const load = new Int32Array(E);
  for (const ex of experts) load[ex]!++;
  let w = gather(scores, 1, e.tensor(experts, [N, k], 'i32')); // (N, k) unbiased scores of the chosen
  if (config.scoring_func === 'sigmoid' && config.norm_topk_prob) w = div(w, sum(w, 1, { keepdim: true }));
  return { experts, weights: mul(w, config.routed_scaling_factor), scores, load };
}
