// Elementwise, strided and index kernel conformance: WASM vs the reference on sizes 1, 3, 127, 129,
// 1000 (+ a large one), special values (0, -0, +-inf, NaN, subnormals, overflow), broadcasting and
// transposed strides, and every op code of UnaryOp / BinaryOp.
import { after, before, test } from 'node:test';
import { BinaryOp, UnaryOp, type Backend } from '../../src/kernels/backend.js';
import { check, startBackends, type Arena, type Variant } from './harness.js';

let ref: Backend, variants: Variant[], dispose: () => void;
before(async () => {
  ({ ref, variants, dispose } = await startBackends());
});
after(() => dispose());

const SIZES = [1, 3, 127, 129, 1000, 70001];
const SPECIAL = [0, -0, Infinity, -Infinity, NaN, 1e-40, -1e-40, 88.5, 88.8, -87.5, -100, 100, 1e30, -1e30, 0.5, -0.7];

/** Inputs for an op: mostly uniform in a range suited to it, with the special values first. */
function inputs(arena: Arena, r: () => number, n: number, lo: number, hi: number, special: boolean): number {
  return arena.floats(n, r, (i) => (special && i < SPECIAL.length ? SPECIAL[i]! : lo + (hi - lo) * r()));
}

test('unary: every op code on awkward sizes and special values', () => {
  for (const [name, op] of Object.entries(UnaryOp)) {
    const [lo, hi] =
      op === UnaryOp.LOG || op === UnaryOp.SQRT || op === UnaryOp.RSQRT
        ? [1e-3, 50]
        : op === UnaryOp.EXP
          ? [-30, 30]
          : [-8, 8];
    for (const n of SIZES) {
      check(
        `unary ${name} n=${n}`,
        ref,
        variants,
        (be, arena, r) => {
          const x = inputs(arena, r, n, lo, hi, true),
            out = arena.floats(n, r);
          be.unary(op, x, out, n);
          return [{ ptr: out, n }];
        },
        4e-6,
      );
    }
  }
});

test('unary: in place (out === x)', () => {
  check(
    'unary EXP in place',
    ref,
    variants,
    (be, arena, r) => {
      const x = inputs(arena, r, 1000, -5, 5, false);
      be.unary(UnaryOp.EXP, x, x, 1000);
      return [{ ptr: x, n: 1000 }];
    },
    4e-6,
  );
});

test('binaryScalar: every op code, both operand orders', () => {
  for (const [name, op] of Object.entries(BinaryOp)) {
    for (const first of [false, true])
      for (const n of [1, 3, 129, 1000]) {
        check(
          `binaryScalar ${name} first=${first} n=${n}`,
          ref,
          variants,
          (be, arena, r) => {
            const pos = op === BinaryOp.POW;
            const x = inputs(arena, r, n, pos ? 0.1 : -4, 4, !pos),
              out = arena.floats(n, r);
            be.binaryScalar(op, x, pos ? 1.7 : 0.5, out, n, first);
            return [{ ptr: out, n }];
          },
          4e-6,
        );
      }
  }
});

interface BShape {
  shape: number[];
  a: number[];
  b: number[];
  aLen: number;
  bLen: number;
}
const BSHAPES: BShape[] = [
  { shape: [1000], a: [1], b: [1], aLen: 1000, bLen: 1000 },
  { shape: [3, 127], a: [127, 1], b: [0, 1], aLen: 381, bLen: 127 },
  { shape: [3, 127], a: [127, 1], b: [1, 0], aLen: 381, bLen: 3 },
  { shape: [129, 3], a: [1, 129], b: [3, 1], aLen: 387, bLen: 387 },
  { shape: [2, 3, 1, 129], a: [387, 129, 0, 1], b: [0, 0, 0, 0], aLen: 774, bLen: 1 },
  { shape: [4, 1, 5, 7], a: [35, 35, 7, 1], b: [0, 0, 1, 5], aLen: 140, bLen: 35 },
  { shape: [300, 300], a: [300, 1], b: [1, 300], aLen: 90000, bLen: 90000 },
  { shape: [1], a: [0], b: [0], aLen: 1, bLen: 1 },
];

test('binary: every op code with broadcasting and transposed strides', () => {
  for (const [name, op] of Object.entries(BinaryOp))
    for (const s of BSHAPES) {
      check(
        `binary ${name} shape=${s.shape.join('x')}`,
        ref,
        variants,
        (be, arena, r) => {
          const pos = op === BinaryOp.POW;
          const a = inputs(arena, r, s.aLen, pos ? 0.1 : -3, 3, false),
            b = inputs(arena, r, s.bLen, -3, 3, false);
          const n = s.shape.reduce((p, q) => p * q, 1),
            out = arena.floats(n, r);
          // a few exact ties so that EQ / LE / GE see equal operands
          if (s.aLen === s.bLen) for (let i = 0; i < s.aLen; i += 7) be.f32()[(a >>> 2) + i] = be.f32()[(b >>> 2) + i]!;
          be.binary(op, a, s.a, b, s.b, out, s.shape);
          return [{ ptr: out, n }];
        },
        4e-6,
      );
    }
});

test('where and copy over broadcast / transposed layouts', () => {
  for (const s of BSHAPES) {
    const n = s.shape.reduce((p, q) => p * q, 1);
    check(
      `where shape=${s.shape.join('x')}`,
      ref,
      variants,
      (be, arena, r) => {
        const c = arena.floats(s.bLen, r, () => (r() < 0.5 ? 0 : 1));
        const a = arena.floats(s.aLen, r),
          b = arena.floats(s.bLen, r),
          out = arena.floats(n, r);
        be.where(c, s.b, a, s.a, b, s.b, out, s.shape);
        return [{ ptr: out, n }];
      },
      0,
    );
    check(
      `copy shape=${s.shape.join('x')}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(s.aLen, r),
          out = arena.floats(n, r);
        const outStrides: number[] = [];
        for (let d = s.shape.length - 1, st = 1; d >= 0; d--) {
          outStrides[d] = st;
          st *= s.shape[d]!;
        }
        be.copy(x, s.a, out, outStrides, s.shape);
        return [{ ptr: out, n }];
      },
      0,
    );
  }
  check(
    'copy into a transposed destination',
    ref,
    variants,
    (be, arena, r) => {
      const x = arena.floats(127 * 129, r),
        out = arena.floats(127 * 129, r);
      be.copy(x, [129, 1], out, [1, 127], [127, 129]);
      return [{ ptr: out, n: 127 * 129 }];
    },
    0,
  );
});

test('fill, axpy, swiglu (+ backward)', () => {
  for (const n of SIZES) {
    check(
      `fill n=${n}`,
      ref,
      variants,
      (be, arena, r) => {
        const out = arena.floats(n + 1, r);
        be.fill(out, n, -2.5);
        return [{ ptr: out, n: n + 1 }];
      },
      0,
    );
    check(
      `axpy n=${n}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(n, r),
          y = arena.floats(n, r);
        be.axpy(0.37, x, y, n);
        return [{ ptr: y, n }];
      },
      4e-6,
    );
    check(
      `swiglu n=${n}`,
      ref,
      variants,
      (be, arena, r) => {
        const g = inputs(arena, r, n, -8, 8, true),
          u = arena.floats(n, r),
          out = arena.floats(n, r);
        be.swiglu(g, u, out, n);
        return [{ ptr: out, n }];
      },
      4e-6,
    );
    check(
      `swigluBackward n=${n}`,
      ref,
      variants,
      (be, arena, r) => {
        const g = inputs(arena, r, n, -8, 8, false),
          u = arena.floats(n, r),
          dy = arena.floats(n, r);
        const dg = arena.floats(n, r),
          du = arena.floats(n, r);
        be.swigluBackward(g, u, dy, dg, du, n);
        return [
          { ptr: dg, n },
          { ptr: du, n },
        ];
      },
      1e-5,
    );
  }
});

test('adamw', () => {
  for (const n of [1, 3, 127, 1000, 70001])
    for (const step of [1, 7]) {
      check(
        `adamw n=${n} step=${step}`,
        ref,
        variants,
        (be, arena, r) => {
          const param = arena.floats(n, r),
            grad = arena.floats(n, r),
            m = arena.floats(n, r, () => (r() - 0.5) * 0.1);
          const v = arena.floats(n, r, () => r() * 0.01);
          be.adamw({ param, grad, m, v, n, lr: 1e-2, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, step });
          return [
            { ptr: param, n },
            { ptr: m, n },
            { ptr: v, n },
          ];
        },
        2e-6,
      );
    }
});

test('indexSelect / indexAdd / gather / scatterAdd with repeated indices', () => {
  for (const [outer, len, nIdx, inner] of [
    [1, 1, 1, 1],
    [3, 7, 5, 129],
    [2, 1000, 3, 1],
    [1, 5, 129, 3],
  ] as const) {
    const idx = Array.from({ length: nIdx }, (_, j) => (j * 3 + 1) % len);
    check(
      `indexSelect ${outer}x${len}x${inner} n=${nIdx}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(outer * len * inner, r),
          ip = arena.ints(idx),
          out = arena.floats(outer * nIdx * inner, r);
        be.indexSelect(x, ip, out, outer, len, nIdx, inner);
        return [{ ptr: out, n: outer * nIdx * inner }];
      },
      0,
    );
    check(
      `indexAdd ${outer}x${len}x${inner} n=${nIdx}`,
      ref,
      variants,
      (be, arena, r) => {
        const src = arena.floats(outer * nIdx * inner, r),
          ip = arena.ints(idx),
          out = arena.floats(outer * len * inner, r);
        be.indexAdd(src, ip, out, outer, len, nIdx, inner);
        return [{ ptr: out, n: outer * len * inner }];
      },
      1e-6,
    );
    const full = Array.from({ length: outer * nIdx * inner }, (_, j) => (j * 7 + 3) % len);
    check(
      `gather ${outer}x${len}x${inner} n=${nIdx}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(outer * len * inner, r),
          ip = arena.ints(full),
          out = arena.floats(full.length, r);
        be.gather(x, ip, out, outer, len, nIdx, inner);
        return [{ ptr: out, n: full.length }];
      },
      0,
    );
    check(
      `scatterAdd ${outer}x${len}x${inner} n=${nIdx}`,
      ref,
      variants,
      (be, arena, r) => {
        const src = arena.floats(full.length, r),
          ip = arena.ints(full),
          out = arena.floats(outer * len * inner, r);
        be.scatterAdd(src, ip, out, outer, len, nIdx, inner);
        return [{ ptr: out, n: outer * len * inner }];
      },
      1e-6,
    );
  }
});

test('binary past 16 non-mergeable dims falls back to the reference loops', () => {
  const shape = Array.from({ length: 17 }, () => 2);
  // reversed strides: no two adjacent dims merge, so the WASM kernel cannot take the call
  const aStrides = shape.map((_, d) => 2 ** d),
    bStrides = shape.map((_, d) => (d % 3 === 0 ? 0 : 2 ** d));
  const n = 2 ** 17;
  check(
    'binary rank 17',
    ref,
    variants,
    (be, arena, r) => {
      const a = arena.floats(n, r),
        b = arena.floats(n, r),
        out = arena.floats(n, r);
      be.binary(BinaryOp.MUL, a, aStrides, b, bStrides, out, shape);
      return [{ ptr: out, n }];
    },
    0,
  );
});
