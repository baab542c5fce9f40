/**
 * Global gradient-norm clipping (V3 trains with clipping at 1.0): scales every gradient by
 * min(1, maxNorm / ||g||) where ||g|| is the L2 norm over all parameters together.
 */
import { BinaryOp } from '../kernels/backend.js';
import type { Tensor } from '../tensor/index.js';

/** Returns the norm before clipping (Infinity or NaN when a gradient is not finite: nothing is scaled then). */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be positive, got ${maxNorm}`);
  const grads: Tensor[] = [];
  for (const p of params) if (p.grad) grads.push(p.grad);
  let ss = 0;
  for (const g of grads) ss += g.engine.backend.sumSquares(g.ptr, g.size);
  const norm = Math.sqrt(ss);
  if (!Number.isFinite(norm)) return norm;
  if (norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);
    for (const g of grads) g.engine.backend.binaryScalar(BinaryOp.MUL, g.ptr, s, g.ptr, g.size, false);
  }
  return norm;
}
