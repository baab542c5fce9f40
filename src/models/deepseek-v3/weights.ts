/**
 * Parameter access for the DeepSeek-V3 modules. Parameters live in one Map<string, Tensor> keyed
 * by the Hugging Face safetensors names (`model.layers.3.self_attn.q_a_proj.weight`), so loading
 * and saving are plain loops and there is no rename table (DeepSeek's own code needs one).
 * Each module receives the map and its key prefix.
 */
import type { Tensor } from '../../tensor/index.js';
import { linear } from '../../nn/linear.js';
import { add } from '../../tensor/index.js';

/** The model's parameters by HF key. */
export type Params = ReadonlyMap<string, Tensor>;

/** A Linear GEMM without bias: x [..., in], weight [out, in] -> [..., out]. */
export type LinearFn = (x: Tensor, weight: Tensor) => Tensor;

/** The plain float32 Linear: x @ W^T (src/nn/linear.ts). */
export const plainLinear: LinearFn = linear;

/** The parameter `key`, or an error naming it. */
export function param(params: Params, key: string): Tensor {
  const t = params.get(key);
  if (t === undefined)
    throw new Error(`parameter "${key}" is missing from the model's parameters (${params.size} present)`);
  return t;
}

/** fn(x, W[out, in]) (+ bias when `<prefix>.bias` exists): [..., in] -> [..., out]. */
export function linearP(x: Tensor, params: Params, prefix: string, fn: LinearFn = plainLinear): Tensor {
  const w = param(params, `${prefix}.weight`);
  if (x.shape[x.rank - 1] !== w.shape[1]) {
    throw new Error(`${prefix}: input [${x.shape.join(', ')}] does not match weight [${w.shape.join(', ')}]`);
  }
  const y = fn(x, w); // (..., in) -> (..., out)
  const b = params.get(`${prefix}.bias`);
  return b === undefined ? y : add(y, b);
}
