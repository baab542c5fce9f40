// Scaled dot-product attention, forward and backward, one query row at a time with the full score
// row in per-thread scratch (the shapes here are small: heads 8, T <= a few thousand, D <= 128).
// Forward threads over (batch, query head); backward over (batch, key head) so that every thread
// owns the dk/dv rows of its group and no two threads write the same memory. Conventions (GQA
// groups, causal offset Tk - Tq, additive mask, -inf lse for empty rows) follow AttentionArgs in
// src/kernels/backend.ts.
import { argf, argi, argp, at, rng, scratch } from './args';
import { lane0, vexp } from './simd';

export const ATTN_SCRATCH_OFFSET: usize = 640 << 10;

function dot(a: usize, b: usize, n: i32): f32 {
  let S = f32x4.splat(0), i = 0;
  for (; i + 4 <= n; i += 4) S = f32x4.add(S, f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  let s = (f32x4.extract_lane(S, 0) + f32x4.extract_lane(S, 1)) + (f32x4.extract_lane(S, 2) + f32x4.extract_lane(S, 3));
  for (; i < n; i++) s += load<f32>(at(a, i)) * load<f32>(at(b, i));
  return s;
}

/** y[0..n) += a * x[0..n). */
function axpyRow(a: f32, x: usize, y: usize, n: i32): void {
  const A = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(A, v128.load(at(x, i)))));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + a * load<f32>(at(x, i)));
}

/** Scaled, masked scores of query row qi against keys [0, limit) into s; returns their max. */
function scores(qi: usize, kh: usize, dk: i32, limit: i32, scale: f32, maskRow: usize, s: usize): f32 {
  let mx: f32 = -Infinity;
  for (let j = 0; j < limit; j++) {
    let v = dot(qi, at(kh, j * dk), dk) * scale;
    if (maskRow) v += load<f32>(at(maskRow, j));
    store<f32>(at(s, j), v);
    mx = max(mx, v);
  }
  return mx;
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

// args: 0 batch, 1 headsQ, 2 headsK, 3 tq, 4 tk, 5 dk, 6 dv, 7 scale, 8 causal, 9 q, 10 k, 11 v,
// 12 out, 13 lse, 14 mask, 15 maskBatchStride, (backward) 16 dout, 17 dq, 18 dk, 19 dv
export function attentionJob(tid: i32, nt: i32): void {
  const B = argi(0), HQ = argi(1), HK = argi(2), TQ = argi(3), TK = argi(4), DK = argi(5), DV = argi(6);
  const scale = <f32>argf(7), causal = argi(8) != 0;
  const q = argp(9), k = argp(10), v = argp(11), out = argp(12), lse = argp(13), mask = argp(14), mbs = argi(15);
  const group = HQ / HK, s = scratch(tid) + ATTN_SCRATCH_OFFSET;
  const t0 = rng(B * HQ, tid, nt, 1), t1 = rng(B * HQ, tid + 1, nt, 1);
  for (let t = t0; t < t1; t++) {
    const b = t / HQ, hq = t % HQ, kvh = b * HK + hq / group;
    const kh = at(k, kvh * TK * DK), vh = at(v, kvh * TK * DV);
    for (let i = 0; i < TQ; i++) {
      const row = t * TQ + i, orow = at(out, row * DV);
      memory.fill(orow, 0, <usize>DV << 2);
      const limit = causal ? min(TK, i + TK - TQ + 1) : TK;
      const maskRow = mask ? at(mask, b * mbs + i * TK) : 0;
      const mx = limit > 0 ? scores(at(q, row * DK), kh, DK, limit, scale, maskRow, s) : <f32>-Infinity;
      if (mx == -Infinity) { store<f32>(at(lse, row), -Infinity); continue; }
      const l = expRow(s, mx, limit);
      for (let j = 0; j < limit; j++) axpyRow(load<f32>(at(s, j)), at(vh, j * DV), orow, DV);
      const inv = <f32>(1 / <f64>l);
      const I = f32x4.splat(inv);
      let d = 0;
      for (; d + 4 <= DV; d += 4) v128.store(at(orow, d), f32x4.mul(v128.load(at(orow, d)), I));
      for (; d < DV; d++) store<f32>(at(orow, d), load<f32>(at(orow, d)) * inv);
      store<f32>(at(lse, row), <f32>(<f64>mx + Math.log(<f64>l)));
    }
  }
}

export function attentionBwdJob(tid: i32, nt: i32): void {
  const B = argi(0), HQ = argi(1), HK = argi(2), TQ = argi(3), TK = argi(4), DK = argi(5), DV = argi(6);
  const scale = <f32>argf(7), causal = argi(8) != 0;
  const q = argp(9), k = argp(10), v = argp(11), lse = argp(13), mask = argp(14), mbs = argi(15);
  const dout = argp(16), dq = argp(17), dk = argp(18), dv = argp(19);
  const group = HQ / HK, p = scratch(tid) + ATTN_SCRATCH_OFFSET, dp = p + (<usize>TK << 2);
  const t0 = rng(B * HK, tid, nt, 1), t1 = rng(B * HK, tid + 1, nt, 1);
  for (let t = t0; t < t1; t++) {
    const b = t / HK;
    const kh = at(k, t * TK * DK), vh = at(v, t * TK * DV), dkh = at(dk, t * TK * DK), dvh = at(dv, t * TK * DV);
    memory.fill(dkh, 0, <usize>(TK * DK) << 2);
    memory.fill(dvh, 0, <usize>(TK * DV) << 2);
    for (let g = 0; g < group; g++) {
      const hq = (t % HK) * group + g;
      for (let i = 0; i < TQ; i++) {
        const row = (b * HQ + hq) * TQ + i, qi = at(q, row * DK), dqi = at(dq, row * DK), doi = at(dout, row * DV);
        memory.fill(dqi, 0, <usize>DK << 2);
        const L = load<f32>(at(lse, row));
        const limit = causal ? min(TK, i + TK - TQ + 1) : TK;
        if (L == -Infinity || limit <= 0) continue;
        scores(qi, kh, DK, limit, scale, mask ? at(mask, b * mbs + i * TK) : 0, p);
        expRow(p, L, limit);
        let dsum: f32 = 0;
        for (let j = 0; j < limit; j++) {
          const pj = load<f32>(at(p, j)), dpj = dot(doi, at(vh, j * DV), DV);
          store<f32>(at(dp, j), dpj);
          dsum += pj * dpj;
          axpyRow(pj, doi, at(dvh, j * DV), DV);
        }
        for (let j = 0; j < limit; j++) {
          const ds = load<f32>(at(p, j)) * (load<f32>(at(dp, j)) - dsum) * scale;
          axpyRow(ds, at(kh, j * DK), dqi, DK);
          axpyRow(ds, qi, at(dkh, j * DK), DK);
        }
      }
    }
  }
}
