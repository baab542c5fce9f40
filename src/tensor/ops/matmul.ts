/**
 * Matrix products: a [..., M, K] @ b [..., K, N] -> [..., M, N] with broadcast batch dims.
 *
 * A transposed view (from transpose()) is handed to the GEMM kernel as a transposed operand, so
 * `matmul(x, transpose(w))` never copies w. Batch dims are coalesced into one strided GEMM call, and
 * a batched activation times a shared 2-D weight is folded into a single large GEMM (M = batch * M),
 * which is the common Linear case. Grads: dA = g @ B^T, dB = A^T @ g, summed over broadcast dims.
 */
import type { GemmArgs } from '../../kernels/backend.js';
import { forEachIndex } from '../../kernels/strided.js';
import { fmtShape, type Tensor } from '../tensor.js';
import { broadcastShapes, checkF32, checkSameEngine, coalesce, prod, record } from './common.js';
import { sumTo } from './reduce.js';
import { reshape, transpose } from './views.js';

interface Operand {
  t: Tensor;
  ld: number;
  trans: boolean;
}

/** How a GEMM kernel can read the last two dims of t: row-major, transposed, or after a copy. */
function operand(t: Tensor): Operand {
  const r = t.shape[t.rank - 2]!,
    c = t.shape[t.rank - 1]!;
  const sr = t.strides[t.rank - 2]!,
    sc = t.strides[t.rank - 1]!;
  if (c === 1 || sc === 1) return { t, ld: r === 1 ? Math.max(c, 1) : sr, trans: false };
  if (r === 1 || sr === 1) return { t, ld: sc, trans: true };
  const copy = t.engine.contiguous(t);
  return { t: copy, ld: c, trans: false };
}

/** Matrix product with batch broadcasting; both operands need rank >= 2. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkF32('matmul', 'a', a);
  checkF32('matmul', 'b', b);
  checkSameEngine('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmul: both arguments need rank >= 2, got a ${fmtShape(a.shape)} and b ${fmtShape(b.shape)}`);
  }
  const m = a.shape[a.rank - 2]!,
    k = a.shape[a.rank - 1]!,
    n = b.shape[b.rank - 1]!;
  if (b.shape[b.rank - 2] !== k) {
    throw new Error(
      `matmul: inner dims differ: a ${fmtShape(a.shape)} has K=${k}, b ${fmtShape(b.shape)} has K=${b.shape[b.rank - 2]}`,
    );
  }
  const batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const out = a.engine.empty([...batchShape, m, n]);
  const A = operand(a),
    B = operand(b);
  gemmBatched(A, B, out, batchShape, m, n, k);
  return record(out, 'matmul', [a, b], (g) => [gradA(g, a, b), gradB(g, a, b)]);
}

function batchStrides(t: Tensor, batchShape: readonly number[]): number[] {
  const nb = t.rank - 2,
    off = batchShape.length - nb;
  return batchShape.map((_d, i) => (i < off || t.shape[i - off] === 1 ? 0 : t.strides[i - off]!));
}

function gemmBatched(
  A: Operand,
  B: Operand,
  out: Tensor,
  batchShape: readonly number[],
  m: number,
  n: number,
  k: number,
): void {
  const e = out.engine;
  const c = coalesce(batchShape, [
    batchStrides(A.t, batchShape),
    batchStrides(B.t, batchShape),
    batchStrides(out, batchShape),
  ]);
  const last = c.shape.length - 1;
  const args: GemmArgs = {
    batch: c.shape[last]!,
    m,
    n,
    k,
    a: 0,
    lda: A.ld,
    strideA: c.strides[0]![last]!,
    transA: A.trans,
    b: 0,
    ldb: B.ld,
    strideB: c.strides[1]![last]!,
    transB: B.trans,
    c: 0,
    ldc: n,
    strideC: c.strides[2]![last]!,
    accumulate: false,
  };
  // A stack of row-major A blocks against one shared B is one tall GEMM.
  if (last === 0 && args.strideB === 0 && !args.transA && args.strideA === m * args.lda && args.strideC === m * n) {
    args.m = m * args.batch;
    args.batch = 1;
  }
  const outerShape = c.shape.slice(0, last),
    outerStrides = c.strides.map((s) => s.slice(0, last));
  forEachIndex(outerShape, outerStrides, (oa, ob, oc) => {
    args.a = A.t.ptr + oa! * 4;
    args.b = B.t.ptr + ob! * 4;
    args.c = out.ptr + oc! * 4;
    e.backend.gemm(args);
  });
}

function gradA(g: Tensor, a: Tensor, b: Tensor): Tensor {
  return sumTo(matmul(g, transpose(b)), a.shape); // (..., M, N) @ (..., N, K) -> (..., M, K)
}

function gradB(g: Tensor, a: Tensor, b: Tensor): Tensor {
  if (b.rank === 2 && a.rank > 2) {
    // Shared weight: fold the batch into the contraction: (K, B*M) @ (B*M, N) -> (K, N)
    const k = a.shape[a.rank - 1]!,
      n = g.shape[g.rank - 1]!;
    const a2 = reshape(a, [prod(a.shape, 0, a.rank - 1), k]);
    const g2 = reshape(g, [prod(g.shape, 0, g.rank - 1), n]);
    return matmul(transpose(a2), g2);
  }
  return sumTo(matmul(transpose(a), g), b.shape); // (..., K, M) @ (..., M, N) -> (..., K, N)
}
