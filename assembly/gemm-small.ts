// Small-M GEMM kernels (at most 4 rows of C per call) that read A and B in place, without packing:
// used for decoding (few rows against a large weight matrix, where packing B would cost as much as
// the product) and by attention for its 4-query blocks. C = A B^T (B stored [n, k]) takes dot
// products, two columns by four rows at a time; C = A B (B stored [k, n]) runs the 4x8 register
// tile straight from B's rows. Missing rows alias the last real one and are never stored.
import { fma } from './simd';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

// @ts-ignore: decorator
@inline function put(p: usize, v: f32, acc: bool): void { store<f32>(p, acc ? load<f32>(p) + v : v); }

/**
 * Rows i0..i0+rows (rows <= 4) of C = A B^T with B stored [n, k]: two dot products of length k per
 * column pair and row, 8 accumulators. Missing rows alias the last one and are not stored.
 */
export function smallRowsBT(a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, i0: i32, rows: i32,
  n0: i32, n1: i32, k: i32, acc: bool): void {
  const r0 = a + (<usize>i0 * lda << 2);
  const r1 = a + (<usize>(i0 + min(1, rows - 1)) * lda << 2);
  const r2 = a + (<usize>(i0 + min(2, rows - 1)) * lda << 2);
  const r3 = a + (<usize>(i0 + min(3, rows - 1)) * lda << 2);
  const kv = k & ~3;
  for (let j = n0; j < n1; j += 2) {
    const two = j + 1 < n1;
    const b0 = b + (<usize>j * ldb << 2), b1 = two ? b0 + (<usize>ldb << 2) : b0;
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
    let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
    for (let p = 0; p < kv; p += 4) {
      const o = <usize>p << 2;
      const x0 = v128.load(b0 + o), x1 = v128.load(b1 + o);
      const a0 = v128.load(r0 + o); s00 = fma(a0, x0, s00); s01 = fma(a0, x1, s01);
      const a1 = v128.load(r1 + o); s10 = fma(a1, x0, s10); s11 = fma(a1, x1, s11);
      const a2 = v128.load(r2 + o); s20 = fma(a2, x0, s20); s21 = fma(a2, x1, s21);
      const a3 = v128.load(r3 + o); s30 = fma(a3, x0, s30); s31 = fma(a3, x1, s31);
    }
    let t00 = hsum(s00), t01 = hsum(s01), t10 = hsum(s10), t11 = hsum(s11);
    let t20 = hsum(s20), t21 = hsum(s21), t30 = hsum(s30), t31 = hsum(s31);
    for (let p = kv; p < k; p++) {
      const o = <usize>p << 2;
      const x0 = load<f32>(b0 + o), x1 = load<f32>(b1 + o);
      const a0 = load<f32>(r0 + o), a1 = load<f32>(r1 + o), a2 = load<f32>(r2 + o), a3 = load<f32>(r3 + o);
      t00 += a0 * x0; t01 += a0 * x1; t10 += a1 * x0; t11 += a1 * x1;
      t20 += a2 * x0; t21 += a2 * x1; t30 += a3 * x0; t31 += a3 * x1;
    }
    const cp = c + ((<usize>i0 * ldc + j) << 2), ld = <usize>ldc << 2;
    put(cp, t00, acc); if (two) put(cp + 4, t01, acc);
    if (rows > 1) { put(cp + ld, t10, acc); if (two) put(cp + ld + 4, t11, acc); }
    if (rows > 2) { put(cp + 2 * ld, t20, acc); if (two) put(cp + 2 * ld + 4, t21, acc); }
    if (rows > 3) { put(cp + 3 * ld, t30, acc); if (two) put(cp + 3 * ld + 4, t31, acc); }
  }
}

/**
 * Rows i0..i0+rows (rows <= 4) of C = A B with B stored [k, n]: the 4x8 tile fed straight from B.
 * A(i, p) = a[i * lda + p * acs] (acs = 1: row-major; lda = 1, acs = rows: A stored transposed).
 */
export function smallRowsB(a: usize, lda: i32, acs: i32, b: usize, ldb: i32, c: usize, ldc: i32, i0: i32, rows: i32,
  n0: i32, n1: i32, k: i32, acc: bool): void {
  const r0 = a + (<usize>i0 * lda << 2);
  const r1 = a + (<usize>(i0 + min(1, rows - 1)) * lda << 2);
  const r2 = a + (<usize>(i0 + min(2, rows - 1)) * lda << 2);
  const r3 = a + (<usize>(i0 + min(3, rows - 1)) * lda << 2);
  const ldB = <usize>ldb << 2, ld = <usize>ldc << 2, acsB = <usize>acs << 2;
  let j = n0;
  for (; j + 8 <= n1; j += 8) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      const o = <usize>p * acsB;
      const x0 = v128.load(bp), x1 = v128.load(bp, 16);
      const a0 = v128.load32_splat(r0 + o); c00 = fma(a0, x0, c00); c01 = fma(a0, x1, c01);
      const a1 = v128.load32_splat(r1 + o); c10 = fma(a1, x0, c10); c11 = fma(a1, x1, c11);
      const a2 = v128.load32_splat(r2 + o); c20 = fma(a2, x0, c20); c21 = fma(a2, x1, c21);
      const a3 = v128.load32_splat(r3 + o); c30 = fma(a3, x0, c30); c31 = fma(a3, x1, c31);
      bp += ldB;
    }
    const cp = c + ((<usize>i0 * ldc + j) << 2);
    storeRow(cp, c00, c01, acc);
    if (rows > 1) storeRow(cp + ld, c10, c11, acc);
    if (rows > 2) storeRow(cp + 2 * ld, c20, c21, acc);
    if (rows > 3) storeRow(cp + 3 * ld, c30, c31, acc);
  }
  for (; j < n1; j++) {
    let t0: f32 = 0, t1: f32 = 0, t2: f32 = 0, t3: f32 = 0;
    for (let p = 0; p < k; p++) {
      const o = <usize>p * acsB, x = load<f32>(b + (<usize>p * ldb + j << 2));
      t0 += load<f32>(r0 + o) * x; t1 += load<f32>(r1 + o) * x; t2 += load<f32>(r2 + o) * x; t3 += load<f32>(r3 + o) * x;
    }
    const cp = c + ((<usize>i0 * ldc + j) << 2);
    put(cp, t0, acc);
    if (rows > 1) put(cp + ld, t1, acc);
    if (rows > 2) put(cp + 2 * ld, t2, acc);
    if (rows > 3) put(cp + 3 * ld, t3, acc);
  }
}

// @ts-ignore: decorator
@inline function storeRow(p: usize, lo: v128, hi: v128, acc: bool): void {
  if (acc) { lo = f32x4.add(lo, v128.load(p)); hi = f32x4.add(hi, v128.load(p, 16)); }
  v128.store(p, lo); v128.store(p, hi, 16);
}
