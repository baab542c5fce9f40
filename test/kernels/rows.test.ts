// Row kernel conformance: reductions over [outer, len, inner] for every ReduceOp, sum of squares,
// softmax / log-softmax (+ backward), RMSNorm (+ backward), cross-entropy with ignore-index
// (+ backward), WASM vs the reference on awkward shapes.
import { after, before, test } from 'node:test';
import { ReduceOp, type Backend } from '../../src/kernels/backend.js';
import { check, startBackends, type Variant } from './harness.js';

let ref: Backend, variants: Variant[], dispose: () => void;
before(async () => {
  ({ ref, variants, dispose } = await startBackends());
});
after(() => dispose());

const ROWS: Array<[number, number]> = [
  [1, 1],
  [1, 3],
  [3, 127],
  [129, 5],
  [2, 1000],
  [127, 129],
];

test('reduce: every op over inner = 1 and inner > 1 layouts', () => {
  const shapes: Array<[number, number, number]> = [
    [1, 1, 1],
    [3, 127, 1],
    [1, 1000, 1],
    [129, 3, 5],
    [2, 129, 127],
    [5, 1, 3],
    [1, 7, 1000],
    [300, 300, 1],
  ];
  for (const [name, op] of Object.entries(ReduceOp))
    for (const [outer, len, inner] of shapes) {
      check(
        `reduce ${name} ${outer}x${len}x${inner}`,
        ref,
        variants,
        (be, arena, r) => {
          const x = arena.floats(outer * len * inner, r, () => (r() - 0.5) * 10);
          const out = arena.floats(outer * inner, r);
          be.reduce(op, x, out, outer, len, inner);
          return [{ ptr: out, n: outer * inner, int: op === ReduceOp.ARGMAX || op === ReduceOp.ARGMIN }];
        },
        1e-5,
      );
    }
});

test('sumSquares accumulates in float64', () => {
  for (const n of [1, 3, 127, 1000, 100003]) {
    check(
      `sumSquares n=${n}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(n, r);
        const out = arena.floats(1, r);
        be.f32()[out >>> 2] = be.sumSquares(x, n);
        return [{ ptr: out, n: 1 }];
      },
      1e-7,
    );
  }
});

test('softmax and log-softmax (+ backward)', () => {
  for (const [rows, cols] of ROWS)
    for (const log of [false, true]) {
      check(
        `softmax log=${log} ${rows}x${cols}`,
        ref,
        variants,
        (be, arena, r) => {
          const x = arena.floats(rows * cols, r, () => (r() - 0.5) * 20),
            out = arena.floats(rows * cols, r);
          be.softmax(x, out, rows, cols, log);
          return [{ ptr: out, n: rows * cols }];
        },
        1e-5,
      );
      check(
        `softmaxBackward log=${log} ${rows}x${cols}`,
        ref,
        variants,
        (be, arena, r) => {
          const x = arena.floats(rows * cols, r, () => (r() - 0.5) * 6),
            y = arena.floats(rows * cols, r);
          const dy = arena.floats(rows * cols, r),
            dx = arena.floats(rows * cols, r);
          be.softmax(x, y, rows, cols, log);
          be.softmaxBackward(y, dy, dx, rows, cols, log);
          return [{ ptr: dx, n: rows * cols }];
        },
        2e-5,
      );
    }
});

test('rmsnorm (+ backward, dw accumulated)', () => {
  for (const [rows, cols] of ROWS) {
    check(
      `rmsnorm ${rows}x${cols}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(rows * cols, r),
          w = arena.floats(cols, r);
        const out = arena.floats(rows * cols, r),
          rstd = arena.floats(rows, r);
        be.rmsnorm(x, w, out, rstd, rows, cols, 1e-6);
        return [
          { ptr: out, n: rows * cols },
          { ptr: rstd, n: rows },
        ];
      },
      1e-5,
    );
    check(
      `rmsnormBackward ${rows}x${cols}`,
      ref,
      variants,
      (be, arena, r) => {
        const x = arena.floats(rows * cols, r),
          w = arena.floats(cols, r),
          dy = arena.floats(rows * cols, r);
        const rstd = arena.floats(rows, r, () => 0.5 + r()),
          dx = arena.floats(rows * cols, r),
          dw = arena.floats(cols, r);
        be.rmsnormBackward(x, w, rstd, dy, dx, dw, rows, cols);
        return [
          { ptr: dx, n: rows * cols },
          { ptr: dw, n: cols },
        ];
      },
      2e-5,
    );
  }
});

test('crossEntropy with ignore-index (+ backward)', () => {
  for (const [rows, vocab] of ROWS) {
    const targets = Array.from({ length: rows }, (_, i) => (i % 4 === 3 ? -100 : (i * 37 + 11) % vocab));
    check(
      `crossEntropy ${rows}x${vocab}`,
      ref,
      variants,
      (be, arena, r) => {
        const logits = arena.floats(rows * vocab, r, () => (r() - 0.5) * 16),
          t = arena.ints(targets);
        const loss = arena.floats(rows, r),
          lse = arena.floats(rows, r);
        be.crossEntropy(logits, t, loss, lse, rows, vocab, -100);
        return [
          { ptr: loss, n: rows },
          { ptr: lse, n: rows },
        ];
      },
      1e-5,
    );
    check(
      `crossEntropyBackward ${rows}x${vocab}`,
      ref,
      variants,
      (be, arena, r) => {
        const logits = arena.floats(rows * vocab, r, () => (r() - 0.5) * 16),
          t = arena.ints(targets);
        const loss = arena.floats(rows, r),
          lse = arena.floats(rows, r),
          dloss = arena.floats(rows, r);
        const dl = arena.floats(rows * vocab, r);
        be.crossEntropy(logits, t, loss, lse, rows, vocab, -100);
        be.crossEntropyBackward(logits, t, lse, dloss, dl, rows, vocab, -100);
        return [{ ptr: dl, n: rows * vocab }];
      },
      2e-5,
    );
  }
});

test('topk: descending, NaN first, ties to the lower index', () => {
  for (const [rows, cols, k] of [
    [1, 1, 1],
    [3, 127, 6],
    [129, 8, 8],
    [2, 1000, 50],
    [5, 64, 1],
  ] as const) {
    check(
      `topk ${rows}x${cols} k=${k}`,
      ref,
      variants,
      (be, arena, r) => {
        // coarse values make ties common; a few NaN and infinities
        const x = arena.floats(rows * cols, r, () => {
          const u = r();
          return u < 0.02 ? NaN : u < 0.04 ? Infinity : u < 0.06 ? -Infinity : Math.floor(r() * 20) / 4;
        });
        const values = arena.floats(rows * k, r),
          indices = arena.floats(rows * k, r);
        be.topk(x, values, indices, rows, cols, k);
        return [
          { ptr: values, n: rows * k, int: true },
          { ptr: indices, n: rows * k, int: true },
        ];
      },
      0,
    );
  }
});

test('cumsum forward and reverse over inner = 1 and inner > 1', () => {
  for (const [outer, len, inner] of [
    [1, 1, 1],
    [3, 1000, 1],
    [2, 127, 129],
    [1, 5, 1000],
  ] as const) {
    for (const reverse of [false, true]) {
      check(
        `cumsum ${outer}x${len}x${inner} reverse=${reverse}`,
        ref,
        variants,
        (be, arena, r) => {
          const x = arena.floats(outer * len * inner, r),
            out = arena.floats(outer * len * inner, r);
          be.cumsum(x, out, outer, len, inner, reverse);
          return [{ ptr: out, n: outer * len * inner }];
        },
        1e-7,
      );
    }
  }
});
