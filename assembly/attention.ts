// Scaled dot-product attention, forward and backward, in blocks of query rows: the scores of a
// block against the visible keys come from the small-M GEMM kernels (Q K^T, 4 x L at a time into
// per-thread scratch), softmax runs per row, and P V (and in the backward dQ = dS K) again goes
// through the 4-row GEMM kernel; dK and dV take rank-16 updates (P^T dO, dS^T Q) through the same
// kernel with A read transposed. Forward threads over (batch, query head);
// backward over (batch, key head) so that each thread owns the dK/dV rows of its group and no two
// threads write the same memory. Conventions (GQA groups, causal offset Tk - Tq, additive mask, -inf
// lse for rows that see no key) follow AttentionArgs in src/kernels/backend.ts.
import { argf, argi, argp, at, rng, scratch } from './args';
import { smallRowsB, smallRowsBT } from './gemm-small';
import { lane0, vexp } from './simd';

export const ATTN_SCRATCH_OFFSET: usize = 640 << 10;
/** Bytes of per-thread scratch from ATTN_SCRATCH_OFFSET on (2 MiB per thread in all). */
export const ATTN_SCRATCH_BYTES: usize = (2048 - 640) << 10;

/** Keys visible to query i. */
// @ts-ignore: decorator
@inline function visible(i: i32, tq: i32, tk: i32, causal: bool): i32 {
  return causal ? min(tk, max(0, i + tk - tq + 1)) : tk;
}

/** exp(s[j] - sub) in place for j < n; returns the sum. */
function expRow(s: usize, sub: f32, n: i32): f32 {
  const M = f32x4.splat(sub);
  let S = f32x4.splat(0), i = 0;
  for (; i + 4 <= n; i += 4) { const e = vexp(f32x4.sub(v128.load(at(s, i)), M)); v128.store(at(s, i), e); S = f32x4.add(S, e); }
  let t = (f32x4.extract_lane(S, 0) + f32x4.extract_lane(S, 1)) + (f32x4.extract_lane(S, 2) + f32x4.extract_lane(S, 3));
  for (; i < n; i++) { const e = lane0(vexp(f32x4.splat(load<f32>(at(s, i)) - sub))); store<f32>(at(s, i), e); t += e; }
  return t;
}

/** y[0..n) *= a. */
function scaleRow(y: usize, n: i32, a: f32): void {
  const A = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.mul(v128.load(at(y, i)), A));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) * a);
}

/** s[j] = s[j] * scale + mask[j] for j < n; returns the max. */
function scaleMask(s: usize, n: i32, scale: f32, maskRow: usize): f32 {
  const SC = f32x4.splat(scale);
  let M = f32x4.splat(-Infinity), j = 0;
  for (; j + 4 <= n; j += 4) {
    let v = f32x4.mul(v128.load(at(s, j)), SC);
    if (maskRow) v = f32x4.add(v, v128.load(at(maskRow, j)));
    v128.store(at(s, j), v);
    M = f32x4.max(M, v);
  }
  let mx = max(max(f32x4.extract_lane(M, 0), f32x4.extract_lane(M, 1)), max(f32x4.extract_lane(M, 2), f32x4.extract_lane(M, 3)));
  for (; j < n; j++) {
    let v = load<f32>(at(s, j)) * scale;
    if (maskRow) v += load<f32>(at(maskRow, j));
    store<f32>(at(s, j), v);
    mx = max(mx, v);
  }
  return mx;
}

// args: 0 batch, 1 headsQ, 2 headsK, 3 tq, 4 tk, 5 dk, 6 dv, 7 scale, 8 causal, 9 q, 10 k, 11 v,
// 12 out, 13 lse, 14 mask, 15 maskBatchStride, (backward) 16 dout, 17 dq, 18 dk, 19 dv
export function attentionJob(tid: i32, nt: i32): void {
  const B = argi(0), HQ = argi(1), HK = argi(2), TQ = argi(3), TK = argi(4), DK = argi(5), DV = argi(6);
  const scale = <f32>argf(7), causal = argi(8) != 0;
  const q = argp(9), k = argp(10), v = argp(11), out = argp(12), lse = argp(13), mask = argp(14), mbs = argi(15);
  const group = HQ / HK, S = scratch(tid) + ATTN_SCRATCH_OFFSET, inv = S + (<usize>(4 * TK) << 2);
  const t0 = rng(B * HQ, tid, nt, 1), t1 = rng(B * HQ, tid + 1, nt, 1);
  for (let t = t0; t < t1; t++) {
    const b = t / HQ, hq = t % HQ, kvh = b * HK + hq / group;
    const kh = at(k, kvh * TK * DK), vh = at(v, kvh * TK * DV);
    for (let i0 = 0; i0 < TQ; i0 += 4) {
      const rows = min(4, TQ - i0), row0 = t * TQ + i0, L = visible(i0 + rows - 1, TQ, TK, causal);
      // S[r, j] = q_r . k_j for the block (4 x L, row stride TK)
      if (L > 0) smallRowsBT(at(q, row0 * DK), DK, kh, DK, S, TK, 0, rows, 0, L, DK, false);
      for (let r = 0; r < rows; r++) {
        const i = i0 + r, lim = visible(i, TQ, TK, causal), sr = at(S, r * TK);
        const mx = lim > 0 ? scaleMask(sr, lim, scale, mask ? at(mask, b * mbs + i * TK) : 0) : <f32>-Infinity;
        if (mx == -Infinity) {
          memory.fill(sr, 0, <usize>L << 2);
          store<f32>(at(lse, row0 + r), -Infinity);
          store<f32>(at(inv, r), 0);
          continue;
        }
        const l = expRow(sr, mx, lim);
        if (lim < L) memory.fill(at(sr, lim), 0, <usize>(L - lim) << 2);
        store<f32>(at(inv, r), <f32>(1 / <f64>l));
        store<f32>(at(lse, row0 + r), <f32>(<f64>mx + Math.log(<f64>l)));
      }
      // out rows = (exp(S - max) V) / sum: (rows x L) x (L x DV), then each row scaled
      smallRowsB(S, TK, 1, vh, DV, at(out, row0 * DV), DV, 0, rows, 0, DV, L, false);
      for (let r = 0; r < rows; r++) scaleRow(at(out, (row0 + r) * DV), DV, load<f32>(at(inv, r)));
    }
  }
}

export function attentionBwdJob(tid: i32, nt: i32): void {
  const B = argi(0), HQ = argi(1), HK = argi(2), TQ = argi(3), TK = argi(4), DK = argi(5), DV = argi(6);
  const scale = <f32>argf(7), causal = argi(8) != 0;
  const q = argp(9), k = argp(10), v = argp(11), lse = argp(13), mask = argp(14), mbs = argi(15);
  const dout = argp(16), dq = argp(17), dk = argp(18), dv = argp(19);
  // query blocks of QB rows (up to 16: dK/dV then take rank-16 updates) with P and dS [QB][TK]
  const QB = min(16, max(4, <i32>(ATTN_SCRATCH_BYTES / (<usize>(8 * TK) * 4)) * 4));
  const group = HQ / HK, P = scratch(tid) + ATTN_SCRATCH_OFFSET, DS = P + (<usize>(QB * TK) << 2);
  const t0 = rng(B * HK, tid, nt, 1), t1 = rng(B * HK, tid + 1, nt, 1);
  for (let t = t0; t < t1; t++) {
    const b = t / HK;
    const kh = at(k, t * TK * DK), vh = at(v, t * TK * DV), dkh = at(dk, t * TK * DK), dvh = at(dv, t * TK * DV);
    memory.fill(dkh, 0, <usize>(TK * DK) << 2);
    memory.fill(dvh, 0, <usize>(TK * DV) << 2);
    for (let g = 0; g < group; g++) {
      const hq = (t % HK) * group + g;
      for (let i0 = 0; i0 < TQ; i0 += QB) {
        const rows = min(QB, TQ - i0), row0 = (b * HQ + hq) * TQ + i0, L = visible(i0 + rows - 1, TQ, TK, causal);
        const qb = at(q, row0 * DK), dob = at(dout, row0 * DV), dqb = at(dq, row0 * DK);
        if (L == 0) { memory.fill(dqb, 0, <usize>(rows * DK) << 2); continue; }
        for (let r0 = 0; r0 < rows; r0 += 4) {
          const rr = min(4, rows - r0);
          smallRowsBT(at(qb, r0 * DK), DK, kh, DK, at(P, r0 * TK), TK, 0, rr, 0, L, DK, false);   // P <- Q K^T
          smallRowsBT(at(dob, r0 * DV), DV, vh, DV, at(DS, r0 * TK), TK, 0, rr, 0, L, DV, false); // DS <- dO V^T
        }
        for (let r = 0; r < rows; r++) {
          const i = i0 + r, lim = visible(i, TQ, TK, causal), pr = at(P, r * TK), dr = at(DS, r * TK);
          const Lr = load<f32>(at(lse, row0 + r));
          if (Lr == -Infinity || lim == 0) { memory.fill(pr, 0, <usize>L << 2); memory.fill(dr, 0, <usize>L << 2); continue; }
          scaleMask(pr, lim, scale, mask ? at(mask, b * mbs + i * TK) : 0);
          expRow(pr, Lr, lim);
          if (lim < L) memory.fill(at(pr, lim), 0, <usize>(L - lim) << 2);
          // dS = P * (dP - sum_j P dP) * scale
          let D = f32x4.splat(0), j = 0;
          for (; j + 4 <= lim; j += 4) D = f32x4.add(D, f32x4.mul(v128.load(at(pr, j)), v128.load(at(dr, j))));
          let dsum = (f32x4.extract_lane(D, 0) + f32x4.extract_lane(D, 1)) + (f32x4.extract_lane(D, 2) + f32x4.extract_lane(D, 3));
          for (; j < lim; j++) dsum += load<f32>(at(pr, j)) * load<f32>(at(dr, j));
          const DSUM = f32x4.splat(dsum), SC = f32x4.splat(scale);
          for (j = 0; j + 4 <= L; j += 4) {
            v128.store(at(dr, j), f32x4.mul(f32x4.mul(v128.load(at(pr, j)), f32x4.sub(v128.load(at(dr, j)), DSUM)), SC));
          }
          for (; j < L; j++) store<f32>(at(dr, j), load<f32>(at(pr, j)) * (load<f32>(at(dr, j)) - dsum) * scale);
        }
        for (let j0 = 0; j0 < L; j0 += 4) {
          const jr = min(4, L - j0);
          // dV[j] += sum_r P[r, j] dO_r and dK[j] += sum_r dS[r, j] q_r: A = P^T, stored transposed
          smallRowsB(P, 1, TK, dob, DV, dvh, DV, j0, jr, 0, DV, rows, true);
          smallRowsB(DS, 1, TK, qb, DK, dkh, DK, j0, jr, 0, DK, rows, true);
        }
        for (let r0 = 0; r0 < rows; r0 += 4) {
          smallRowsB(at(DS, r0 * TK), TK, 1, kh, DK, at(dqb, r0 * DK), DK, 0, min(4, rows - r0), 0, DK, L, false); // dQ = dS K
        }
      }
    }
  }
}
