/**
 * The SwiGLU feed-forward network: down_proj(silu(gate_proj(x)) * up_proj(x)) (V3 paper 2.1.2;
 * `MLP` / `Expert` of DeepSeek's inference/model.py, w1 = gate_proj, w3 = up_proj, w2 = down_proj).
 * Used for the dense layers below first_k_dense_replace, each routed expert and the shared experts.
 * No departures.
 */
import type { Tensor } from '../../tensor/index.js';
import { swiglu } from '../../tensor/index.js';
import { linearP, plainLinear, type LinearFn, type Params } from './weights.js';

/** x [..., D] -> [..., D] through the SwiGLU MLP whose weights sit under `prefix` (its GEMMs via `fn`). */
export function mlpForward(x: Tensor, params: Params, prefix: string, fn: LinearFn = plainLinear): Tensor {
  const g = linearP(x, params, `${prefix}.gate_proj`, fn); // (..., I)
  const u = linearP(x, params, `${prefix}.up_proj`, fn); // (..., I)
  return linearP(swiglu(g, u), params, `${prefix}.down_proj`, fn); // (..., I) -> (..., D)
}
