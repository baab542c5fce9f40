// Packed SGEMM (GotoBLAS loop order, shared/DESIGN.md section 2): B is packed into [nc/8][kc][8]
// panels, A into [mc/4][kc][4] micro-panels, and a 4x8 micro-kernel keeps 8 v128 accumulators in
// registers (a 6x8 tile spilled and ran at half speed here). Transposed operands are handled by the
// packing routines, so the caller's data is never copied. Threads split the batch, the rows (in
// multiples of 4) or the columns (multiples of 8); every C element is summed over k in the same order
// whatever the split, so results do not depend on the thread count. Calls with at most 8 rows
// (decoding) skip packing and stream B straight into 4-row kernels.
import { argi, argp, rng, scratch } from './args';
import { fma } from './simd';
import { smallRowsB, smallRowsBT } from './gemm-small';

const MC: i32 = 64;
const KC: i32 = 256;
const NC: i32 = 512;
export const PACK_A_BYTES: usize = <usize>(MC * KC * 4);
export const PACK_B_BYTES: usize = <usize>(KC * NC * 4);
/** Row counts up to this use the unpacked small-M kernels (groups of 4 rows). */
const SMALL_M: i32 = 8;

// args: 0 batch, 1 m, 2 n, 3 k, 4 a, 5 lda, 6 strideA, 7 transA, 8 b, 9 ldb, 10 strideB,
// 11 transB, 12 c, 13 ldc, 14 strideC, 15 accumulate
export function gemmJob(tid: i32, nt: i32): void {
  const batch = argi(0), m = argi(1), n = argi(2), k = argi(3);
  const a = argp(4), lda = argi(5), sA = argi(6), tA = argi(7) != 0;
  const b = argp(8), ldb = argi(9), sB = argi(10), tB = argi(11) != 0;
  const c = argp(12), ldc = argi(13), sC = argi(14), acc = argi(15) != 0;
  let b0 = 0, b1 = batch, m0 = 0, m1 = m, n0 = 0, n1 = n;
  if (nt > 1) {
    if (batch >= 4 * nt || (batch >= nt && batch % nt == 0)) {
      b0 = rng(batch, tid, nt, 1); b1 = rng(batch, tid + 1, nt, 1);
    } else if (m >= n) {
      m0 = rng(m, tid, nt, 4); m1 = rng(m, tid + 1, nt, 4);
    } else {
      n0 = rng(n, tid, nt, 8); n1 = rng(n, tid + 1, nt, 8);
    }
  }
  const pa = scratch(tid), pb = pa + PACK_A_BYTES, tile = pb + PACK_B_BYTES;
  // A few rows (decoding): packing B would cost as much as the product, so stream B directly.
  const small = m <= SMALL_M && !tA && k > 0;
  for (let bi = b0; bi < b1; bi++) {
    if (small) {
      const ab = a + (<usize>bi * sA << 2), bb = b + (<usize>bi * sB << 2), cb = c + (<usize>bi * sC << 2);
      for (let i = m0; i < m1; i += 4) {
        const rows = min(4, m1 - i);
        if (tB) smallRowsBT(ab, lda, bb, ldb, cb, ldc, i, rows, n0, n1, k, acc);
        else smallRowsB(ab, lda, 1, bb, ldb, cb, ldc, i, rows, n0, n1, k, acc);
      }
      continue;
    }
    gemmRange(a + (<usize>bi * sA << 2), lda, tA, b + (<usize>bi * sB << 2), ldb, tB,
      c + (<usize>bi * sC << 2), ldc, m0, m1, n0, n1, k, acc, pa, pb, tile);
  }
}

export function gemmRange(a: usize, lda: i32, tA: bool, b: usize, ldb: i32, tB: bool, c: usize, ldc: i32,
  m0: i32, m1: i32, n0: i32, n1: i32, k: i32, acc: bool, pa: usize, pb: usize, tile: usize): void {
  if (k == 0) {
    if (!acc) for (let i = m0; i < m1; i++) memory.fill(c + ((<usize>i * ldc + n0) << 2), 0, <usize>(n1 - n0) << 2);
    return;
  }
  const ldcBytes = <usize>ldc << 2;
  for (let jc = n0; jc < n1; jc += NC) {
    const nc = min(NC, n1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const beta = acc || pc > 0;
      packB(b, ldb, tB, pc, kc, jc, nc, pb);
      for (let ic = m0; ic < m1; ic += MC) {
        const mc = min(MC, m1 - ic);
        packA(a, lda, tA, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += 8) {
          const nr = min(8, nc - jr);
          const bp = pb + (<usize>(jr * kc) << 2);
          for (let ir = 0; ir < mc; ir += 4) {
            const mr = min(4, mc - ir);
            const ap = pa + (<usize>(ir * kc) << 2);
            const cp = c + ((<usize>(ic + ir) * ldc + jc + jr) << 2);
            if (mr == 4 && nr == 8) {
              micro(ap, bp, kc, cp, ldcBytes, beta);
            } else {
              micro(ap, bp, kc, tile, 32, false);
              addTile(tile, cp, ldc, mr, nr, beta);
            }
          }
        }
      }
    }
  }
}

/** C[4x8] (+)= Apanel[kc][4] x Bpanel[kc][8]. */
// @ts-ignore: decorator
@inline function micro(pa: usize, pb: usize, kc: i32, c: usize, ldcB: usize, beta: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb), b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = fma(a0, b0, c00); c01 = fma(a0, b1, c01);
    const a1 = v128.load32_splat(pa, 4);
    c10 = fma(a1, b0, c10); c11 = fma(a1, b1, c11);
    const a2 = v128.load32_splat(pa, 8);
    c20 = fma(a2, b0, c20); c21 = fma(a2, b1, c21);
    const a3 = v128.load32_splat(pa, 12);
    c30 = fma(a3, b0, c30); c31 = fma(a3, b1, c31);
    pa += 16; pb += 32;
  }
  if (beta) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + ldcB)); c11 = f32x4.add(c11, v128.load(c + ldcB, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * ldcB)); c21 = f32x4.add(c21, v128.load(c + 2 * ldcB, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * ldcB)); c31 = f32x4.add(c31, v128.load(c + 3 * ldcB, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + ldcB, c10); v128.store(c + ldcB, c11, 16);
  v128.store(c + 2 * ldcB, c20); v128.store(c + 2 * ldcB, c21, 16);
  v128.store(c + 3 * ldcB, c30); v128.store(c + 3 * ldcB, c31, 16);
}

function addTile(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, beta: bool): void {
  for (let r = 0; r < mr; r++) {
    const row = c + (<usize>(r * ldc) << 2);
    for (let j = 0; j < nr; j++) {
      const v = load<f32>(tile + (<usize>(r * 8 + j) << 2));
      const p = row + (<usize>j << 2);
      store<f32>(p, beta ? load<f32>(p) + v : v);
    }
  }
}

/** Transposes four rows of 4 and stores them as four columns at dst, dst+step, ... */
// @ts-ignore: decorator
@inline function store4x4T(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

/** Packs A[i0:i0+mc, p0:p0+kc] into [ceil(mc/4)][kc][4], zero-padding missing rows. */
function packA(a: usize, lda: i32, tA: bool, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ib = 0; ib < mc; ib += 4) {
    const d = dst + (<usize>(ib * kc) << 2);
    const rows = min(4, mc - ib);
    if (tA) { // A(i, p) = a[p * lda + i]: four rows of one k are contiguous
      for (let p = 0; p < kc; p++) {
        const src = a + ((<usize>(p0 + p) * lda + i0 + ib) << 2);
        if (rows == 4) v128.store(d + (<usize>p << 4), v128.load(src));
        else for (let r = 0; r < 4; r++) store<f32>(d + (<usize>(p * 4 + r) << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
      }
    } else { // A(i, p) = a[i * lda + p]: transpose 4x4 blocks
      const s0 = a + ((<usize>(i0 + ib) * lda + p0) << 2);
      const ldB = <usize>lda << 2;
      let p = 0;
      if (rows == 4) {
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2;
          store4x4T(v128.load(s0 + o), v128.load(s0 + ldB + o), v128.load(s0 + 2 * ldB + o),
            v128.load(s0 + 3 * ldB + o), d + (<usize>p << 4), 16);
        }
      }
      for (; p < kc; p++) {
        for (let r = 0; r < 4; r++) {
          store<f32>(d + (<usize>(p * 4 + r) << 2), r < rows ? load<f32>(s0 + <usize>r * ldB + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}

/** Packs B[p0:p0+kc, j0:j0+nc] into [ceil(nc/8)][kc][8], zero-padding missing columns. */
function packB(b: usize, ldb: i32, tB: bool, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jb = 0; jb < nc; jb += 8) {
    const d = dst + (<usize>(jb * kc) << 2);
    const cols = min(8, nc - jb);
    if (!tB) { // B(p, j) = b[p * ldb + j]: eight columns of one k are contiguous
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(p0 + p) * ldb + j0 + jb) << 2);
        const o = d + (<usize>p << 5);
        if (cols == 8) { v128.store(o, v128.load(src)); v128.store(o, v128.load(src, 16), 16); }
        else for (let j = 0; j < 8; j++) store<f32>(o + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
      }
    } else { // B(p, j) = b[j * ldb + p]: transpose 4x4 blocks of two column quads
      const s0 = b + ((<usize>(j0 + jb) * ldb + p0) << 2);
      const ldB = <usize>ldb << 2;
      let p = 0;
      if (cols == 8) {
        for (; p + 4 <= kc; p += 4) {
          const o = <usize>p << 2, dd = d + (<usize>p << 5);
          store4x4T(v128.load(s0 + o), v128.load(s0 + ldB + o), v128.load(s0 + 2 * ldB + o),
            v128.load(s0 + 3 * ldB + o), dd, 32);
          const s4 = s0 + 4 * ldB;
          store4x4T(v128.load(s4 + o), v128.load(s4 + ldB + o), v128.load(s4 + 2 * ldB + o),
            v128.load(s4 + 3 * ldB + o), dd + 16, 32);
        }
      }
      for (; p < kc; p++) {
        for (let j = 0; j < 8; j++) {
          store<f32>(d + (<usize>(p * 8 + j) << 2), j < cols ? load<f32>(s0 + <usize>j * ldB + (<usize>p << 2)) : 0);
        }
      }
    }
  }
}
