// Attention conformance: forward (out, lse) and backward (dq, dk, dv) of the WASM kernels against
// the reference, with grouped heads (Hq % Hk == 0, Hk = 1), causal masking with Tq < Tk, an additive
// mask with -inf entries broadcast over batch, rows that see no key, and odd head dims.
import { after, before, test } from 'node:test';
import type { AttentionArgs, Backend } from '../../src/kernels/backend.js';
import { check, startBackends, type Arena, type Variant } from './harness.js';

let ref: Backend, variants: Variant[], dispose: () => void;
before(async () => {
  ({ ref, variants, dispose } = await startBackends());
});
after(() => dispose());

interface Shape {
  b: number;
  hq: number;
  hk: number;
  tq: number;
  tk: number;
  dk: number;
  dv: number;
  causal: boolean;
  mask?: 'shared' | 'per-batch';
}

const SHAPES: Shape[] = [
  { b: 1, hq: 1, hk: 1, tq: 1, tk: 1, dk: 1, dv: 1, causal: false },
  { b: 2, hq: 4, hk: 2, tq: 5, tk: 7, dk: 3, dv: 5, causal: true },
  { b: 1, hq: 2, hk: 1, tq: 33, tk: 33, dk: 17, dv: 9, causal: false, mask: 'shared' },
  { b: 2, hq: 3, hk: 3, tq: 6, tk: 4, dk: 8, dv: 8, causal: true },
  { b: 2, hq: 2, hk: 2, tq: 9, tk: 9, dk: 5, dv: 3, causal: true, mask: 'per-batch' },
  { b: 1, hq: 8, hk: 8, tq: 129, tk: 129, dk: 32, dv: 32, causal: true },
];

function setup(s: Shape, arena: Arena, r: () => number): AttentionArgs {
  const q = arena.floats(s.b * s.hq * s.tq * s.dk, r),
    k = arena.floats(s.b * s.hk * s.tk * s.dk, r);
  const v = arena.floats(s.b * s.hk * s.tk * s.dv, r);
  const out = arena.floats(s.b * s.hq * s.tq * s.dv, r),
    lse = arena.floats(s.b * s.hq * s.tq, r);
  const maskLen = (s.mask === 'per-batch' ? s.b : 1) * s.tq * s.tk;
  // hide about a fifth of the keys, and every key of query row 1
  const mask = s.mask
    ? arena.floats(maskLen, r, (i) => (r() < 0.2 || Math.floor(i / s.tk) % s.tq === 1 ? -Infinity : r() - 0.5))
    : 0;
  return {
    batch: s.b,
    headsQ: s.hq,
    headsK: s.hk,
    tq: s.tq,
    tk: s.tk,
    dk: s.dk,
    dv: s.dv,
    scale: 1 / Math.sqrt(s.dk),
    causal: s.causal,
    q,
    k,
    v,
    out,
    lse,
    mask,
    maskBatchStride: s.mask === 'per-batch' ? s.tq * s.tk : 0,
  };
}

for (const s of SHAPES) {
  const label = `B${s.b} Hq${s.hq} Hk${s.hk} Tq${s.tq} Tk${s.tk} Dk${s.dk} Dv${s.dv}${s.causal ? ' causal' : ''}${s.mask ? ` mask=${s.mask}` : ''}`;
  test(`attention ${label}`, () => {
    check(
      'attention',
      ref,
      variants,
      (be, arena, r) => {
        const a = setup(s, arena, r);
        be.attention(a);
        return [
          { ptr: a.out, n: s.b * s.hq * s.tq * s.dv },
          { ptr: a.lse, n: s.b * s.hq * s.tq },
        ];
      },
      2e-5,
    );
    check(
      'attentionBackward',
      ref,
      variants,
      (be, arena, r) => {
        const a = setup(s, arena, r);
        be.attention(a);
        const gradOut = arena.floats(s.b * s.hq * s.tq * s.dv, r),
          gradQ = arena.floats(s.b * s.hq * s.tq * s.dk, r);
        const gradK = arena.floats(s.b * s.hk * s.tk * s.dk, r),
          gradV = arena.floats(s.b * s.hk * s.tk * s.dv, r);
        be.attentionBackward({ ...a, gradOut, gradQ, gradK, gradV });
        return [
          { ptr: gradQ, n: s.b * s.hq * s.tq * s.dk },
          { ptr: gradK, n: s.b * s.hk * s.tk * s.dk },
          { ptr: gradV, n: s.b * s.hk * s.tk * s.dv },
        ];
      },
      5e-5,
    );
  });
}
