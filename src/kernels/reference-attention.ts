/**
 * Reference softmax attention over float32 views of the backend memory (the oracle of the WASM
 * attention kernels; src/kernels/reference.ts delegates here): grouped K/V heads, causal masking
 * aligned to the end of the keys, an optional additive mask, and the backward from the saved
 * log-sum-exp, all accumulated in float64.
 */
import type { AttentionArgs, AttentionBackwardArgs } from './backend.js';

/** Scores row for (b, h, i): the visible scaled+masked scores (or -Infinity). */
function scoreRow(f: Float32Array, a: AttentionArgs, b: number, h: number, i: number, row: Float64Array): void {
  const hk = Math.floor(h / (a.headsQ / a.headsK));
  const q0 = (a.q >>> 2) + ((b * a.headsQ + h) * a.tq + i) * a.dk;
  const k0 = (a.k >>> 2) + (b * a.headsK + hk) * a.tk * a.dk;
  const last = a.causal ? i + a.tk - a.tq : a.tk - 1;
  for (let j = 0; j < a.tk; j++) {
    if (j > last) {
      row[j] = -Infinity;
      continue;
    }
    let s = 0;
    for (let d = 0; d < a.dk; d++) s += f[q0 + d]! * f[k0 + j * a.dk + d]!;
    s *= a.scale;
    if (a.mask !== 0) s += f[(a.mask >>> 2) + b * a.maskBatchStride + i * a.tk + j]!;
    row[j] = s;
  }
}

/** Softmax attention forward (out, and the log-sum-exp per row for the backward). */
export function attentionReference(f: Float32Array, a: AttentionArgs): void {
  const row = new Float64Array(a.tk),
    group = a.headsQ / a.headsK;
  for (let b = 0; b < a.batch; b++)
    for (let h = 0; h < a.headsQ; h++) {
      const v0 = (a.v >>> 2) + (b * a.headsK + Math.floor(h / group)) * a.tk * a.dv;
      for (let i = 0; i < a.tq; i++) {
        scoreRow(f, a, b, h, i, row);
        let m = -Infinity;
        for (let j = 0; j < a.tk; j++) m = Math.max(m, row[j]!);
        const o0 = (a.out >>> 2) + ((b * a.headsQ + h) * a.tq + i) * a.dv;
        const li = (a.lse >>> 2) + (b * a.headsQ + h) * a.tq + i;
        if (m === -Infinity) {
          for (let d = 0; d < a.dv; d++) f[o0 + d] = 0;
          f[li] = -Infinity;
          continue;
        }
        let s = 0;
        for (let j = 0; j < a.tk; j++) {
          row[j] = Math.exp(row[j]! - m);
          s += row[j]!;
        }
        for (let d = 0; d < a.dv; d++) {
          let acc = 0;
          for (let j = 0; j < a.tk; j++) acc += row[j]! * f[v0 + j * a.dv + d]!;
          f[o0 + d] = acc / s;
        }
        f[li] = m + Math.log(s);
      }
    }
}

/** Gradients of Q, K, V from the saved output and log-sum-exp (FlashAttention-2's backward, in float64). */
export function attentionBackwardReference(f: Float32Array, a: AttentionBackwardArgs): void {
  const group = a.headsQ / a.headsK,
    p = new Float64Array(a.tk),
    dp = new Float64Array(a.tk);
  f.fill(0, a.gradK >>> 2, (a.gradK >>> 2) + a.batch * a.headsK * a.tk * a.dk);
  f.fill(0, a.gradV >>> 2, (a.gradV >>> 2) + a.batch * a.headsK * a.tk * a.dv);
  for (let b = 0; b < a.batch; b++)
    for (let h = 0; h < a.headsQ; h++) {
      const hk = Math.floor(h / group);
      const k0 = (a.k >>> 2) + (b * a.headsK + hk) * a.tk * a.dk,
        v0 = (a.v >>> 2) + (b * a.headsK + hk) * a.tk * a.dv;
      const dk0 = (a.gradK >>> 2) + (b * a.headsK + hk) * a.tk * a.dk,
        dv0 = (a.gradV >>> 2) + (b * a.headsK + hk) * a.tk * a.dv;
      for (let i = 0; i < a.tq; i++) {
        const r = (b * a.headsQ + h) * a.tq + i;
        const q0 = (a.q >>> 2) + r * a.dk,
          do0 = (a.gradOut >>> 2) + r * a.dv,
          o0 = (a.out >>> 2) + r * a.dv;
        const dq0 = (a.gradQ >>> 2) + r * a.dk,
          l = f[(a.lse >>> 2) + r]!;
        for (let d = 0; d < a.dk; d++) f[dq0 + d] = 0;
        if (l === -Infinity) continue;
        scoreRow(f, a, b, h, i, p);
        // P = exp(S - lse); dP = dO V^T; dS = P * (dP - rowsum(dO * O))
        let delta = 0;
        for (let d = 0; d < a.dv; d++) delta += f[do0 + d]! * f[o0 + d]!;
        for (let j = 0; j < a.tk; j++) {
          p[j] = p[j] === -Infinity ? 0 : Math.exp(p[j]! - l);
          let s = 0;
          for (let d = 0; d < a.dv; d++) s += f[do0 + d]! * f[v0 + j * a.dv + d]!;
          dp[j] = p[j]! * (s - delta) * a.scale;
        }
        for (let j = 0; j < a.tk; j++) {
          if (p[j] === 0) continue;
          for (let d = 0; d < a.dv; d++) f[dv0 + j * a.dv + d] = f[dv0 + j * a.dv + d]! + p[j]! * f[do0 + d]!;
          for (let d = 0; d < a.dk; d++) {
            f[dq0 + d] = f[dq0 + d]! + dp[j]! * f[k0 + j * a.dk + d]!;
            f[dk0 + j * a.dk + d] = f[dk0 + j * a.dk + d]! + dp[j]! * f[q0 + d]!;
          }
        }
      }
    }
}
