/**
 * How the WASM backend hands arguments to the module (the TypeScript side of assembly/args.ts):
 * the float64 argument slots of the kernels with many operands, and the coalescing of strided
 * shapes into the int32 arrays of the control block (size-1 dims dropped, contiguous dims merged).
 * Each writes into preallocated memory: nothing is allocated per kernel call.
 */
import type { AdamWArgs, AttentionArgs, AttentionBackwardArgs, QuantMatmulArgs } from '../backend.js';
import { MAX_RANK } from './layout.js';

/**
 * Writes shape and operand strides into the control block's int32 arrays `r` with size-1 dims dropped and adjacent
 * dims merged where every operand is contiguous across them; returns the rank (-1: too many dims,
 * 0: empty). `outContiguous` adds the output as an operand laid out row-major.
 */
export function coalesce(
  r: Int32Array,
  shape: ArrayLike<number>,
  s1: ArrayLike<number>,
  s2: ArrayLike<number>,
  s3: ArrayLike<number> | null,
): number {
  const A = MAX_RANK;
  let rank = 0;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!;
    if (n === 0) return 0;
    if (n === 1) continue;
    if (
      rank > 0 &&
      r[A + rank - 1] === s1[d]! * n &&
      r[2 * A + rank - 1] === s2[d]! * n &&
      (s3 === null || r[3 * A + rank - 1] === s3[d]! * n)
    ) {
      r[rank - 1] = r[rank - 1]! * n;
      r[A + rank - 1] = s1[d]!;
      r[2 * A + rank - 1] = s2[d]!;
      if (s3 !== null) r[3 * A + rank - 1] = s3[d]!;
      continue;
    }
    if (rank === MAX_RANK) return -1;
    r[rank] = n;
    r[A + rank] = s1[d]!;
    r[2 * A + rank] = s2[d]!;
    if (s3 !== null) r[3 * A + rank] = s3[d]!;
    rank++;
  }
  if (rank === 0) {
    r[0] = 1;
    r[A] = 0;
    r[2 * A] = 0;
    r[3 * A] = 0;
    rank = 1;
  }
  return rank;
}

/** Elements of the first `rank` dims written by coalesce. */
export function total(r: Int32Array, rank: number): number {
  let t = 1;
  for (let d = 0; d < rank; d++) t *= r[d]!;
  return t;
}

/** Attention's argument slots; returns its multiply-adds (the work that decides the threads). */
export function attentionArgs(a: Float64Array, t: AttentionArgs): number {
  a[0] = t.batch;
  a[1] = t.headsQ;
  a[2] = t.headsK;
  a[3] = t.tq;
  a[4] = t.tk;
  a[5] = t.dk;
  a[6] = t.dv;
  a[7] = t.scale;
  a[8] = t.causal ? 1 : 0;
  a[9] = t.q;
  a[10] = t.k;
  a[11] = t.v;
  a[12] = t.out;
  a[13] = t.lse;
  a[14] = t.mask;
  a[15] = t.maskBatchStride;
  return t.batch * t.headsQ * t.tq * t.tk * (t.dk + t.dv);
}

/** The gradient slots attention's backward adds after the forward's. */
export function attentionGradArgs(a: Float64Array, t: AttentionBackwardArgs): void {
  a[16] = t.gradOut;
  a[17] = t.gradQ;
  a[18] = t.gradK;
  a[19] = t.gradV;
}

/** AdamW's argument slots. */
export function adamwArgs(a: Float64Array, t: AdamWArgs): void {
  a[0] = t.param;
  a[1] = t.grad;
  a[2] = t.m;
  a[3] = t.v;
  a[4] = t.n;
  a[5] = t.lr;
  a[6] = t.beta1;
  a[7] = t.beta2;
  a[8] = t.eps;
  a[9] = t.weightDecay;
  a[10] = t.step;
}

/** The quantized matmul's argument slots. */
export function quantMatmulArgs(a: Float64Array, q: QuantMatmulArgs): void {
  a[0] = q.type;
  a[1] = q.m;
  a[2] = q.n;
  a[3] = q.k;
  a[4] = q.x;
  a[5] = q.w;
  a[6] = q.y;
  a[7] = q.bias ?? 0;
}
