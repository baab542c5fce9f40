/**
 * Bias-free linear layer as torch.nn.functional.linear: y = x @ W^T with W stored [out, in] as in
 * every Hugging Face checkpoint. The transposed view costs no copy (the GEMM reads W transposed).
 */
import { matmul, transpose, type Tensor } from '../tensor/index.js';

/** x [..., in] @ weight [out, in]^T -> [..., out]. */
export function linear(x: Tensor, weight: Tensor): Tensor {
  if (weight.rank !== 2 || x.shape[x.rank - 1] !== weight.shape[1]) {
    throw new Error(
      `linear: x [${x.shape.join(', ')}] does not match weight [${weight.shape.join(', ')}] (expected weight [out, ${x.shape[x.rank - 1]}])`,
    );
  }
  return matmul(x, transpose(weight)); // (..., in) @ (in, out) -> (..., out)
}
