// GEMM conformance: the packed WASM GEMM against the reference loops on awkward shapes (1, 3, 127,
// 129, 1000; not multiples of 4 or 8; crossing the MC/KC/NC block edges), every transposition,
// accumulate, padded leading dimensions, and batches with a broadcast (stride 0) operand.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Backend } from '../../src/kernels/backend.js';
import { WasmBackend } from '../../src/kernels/wasm/index.js';
import { Arena, check, rng, startBackends, type Variant } from './harness.js';

let ref: Backend, variants: Variant[], dispose: () => void;
before(async () => {
  ({ ref, variants, dispose } = await startBackends());
});
after(() => dispose());

interface Shape {
  batch: number;
  m: number;
  n: number;
  k: number;
  pad?: number;
  bcastB?: boolean;
}

function gemmCase(s: Shape, transA: boolean, transB: boolean, accumulate: boolean) {
  return (be: Backend, arena: Arena, r: () => number) => {
    const pad = s.pad ?? 0;
    const aRows = transA ? s.k : s.m,
      aCols = transA ? s.m : s.k;
    const bRows = transB ? s.n : s.k,
      bCols = transB ? s.k : s.n;
    const lda = aCols + pad,
      ldb = bCols + pad,
      ldc = s.n + pad;
    const strideA = aRows * lda,
      strideB = s.bcastB ? 0 : bRows * ldb,
      strideC = s.m * ldc;
    const a = arena.floats(strideA * s.batch, r);
    const b = arena.floats(s.bcastB ? strideB || bRows * ldb : strideB * s.batch, r);
    const c = arena.floats(strideC * s.batch, r);
    be.gemm({
      batch: s.batch,
      m: s.m,
      n: s.n,
      k: s.k,
      a,
      lda,
      strideA,
      transA,
      b,
      ldb,
      strideB,
      transB,
      c,
      ldc,
      strideC,
      accumulate,
    });
    return [{ ptr: c, n: strideC * s.batch }];
  };
}

const SHAPES: Shape[] = [
  { batch: 1, m: 1, n: 1, k: 1 },
  { batch: 1, m: 3, n: 5, k: 7 },
  { batch: 1, m: 127, n: 129, k: 3 },
  { batch: 1, m: 129, n: 127, k: 1000 },
  { batch: 1, m: 1, n: 1000, k: 129 },
  { batch: 1, m: 1000, n: 3, k: 127 },
  { batch: 1, m: 67, n: 521, k: 259, pad: 3 },
  { batch: 3, m: 17, n: 9, k: 33, bcastB: true },
  { batch: 5, m: 4, n: 8, k: 256 },
  { batch: 2, m: 5, n: 6, k: 0 },
  { batch: 1, m: 5, n: 129, k: 127, pad: 2 },
  { batch: 2, m: 8, n: 67, k: 1000 },
  { batch: 1, m: 2, n: 1000, k: 3 },
];

for (const s of SHAPES) {
  test(`gemm batch=${s.batch} m=${s.m} n=${s.n} k=${s.k}${s.pad ? ` pad=${s.pad}` : ''}${s.bcastB ? ' B broadcast' : ''}`, () => {
    for (const transA of [false, true])
      for (const transB of [false, true])
        for (const acc of [false, true]) {
          check(`gemm tA=${transA} tB=${transB} acc=${acc}`, ref, variants, gemmCase(s, transA, transB, acc), 2e-5);
        }
  });
}

test('gemm results are identical on 1 and 2 threads (row, column and batch splits)', () => {
  const byName = new Map<string, Backend[]>();
  for (const v of variants) byName.set(v.backend.name, [...(byName.get(v.backend.name) ?? []), v.backend]);
  for (const [name, [one, two]] of byName) {
    for (const s of [
      { batch: 1, m: 200, n: 90, k: 300 },
      { batch: 1, m: 20, n: 300, k: 70 },
      { batch: 4, m: 33, n: 65, k: 17 },
      { batch: 1, m: 3, n: 301, k: 65 },
    ]) {
      const outs = [one!, two!].map((be) => {
        const arena = new Arena(be),
          r = rng(7);
        const [o] = gemmCase(s, false, true, false)(be, arena, r);
        return Array.from(be.f32().subarray(o!.ptr >>> 2, (o!.ptr >>> 2) + o!.n));
      });
      assert.deepEqual(outs[1], outs[0], `${name} ${JSON.stringify(s)}`);
    }
  }
});

test('the WASM backend overrides every kernel', () => {
  const own = new Set(Object.getOwnPropertyNames(WasmBackend.prototype));
  const kernels = [
    'gemm',
    'unary',
    'binary',
    'binaryScalar',
    'where',
    'copy',
    'fill',
    'axpy',
    'reduce',
    'sumSquares',
    'softmax',
    'softmaxBackward',
    'rmsnorm',
    'rmsnormBackward',
    'crossEntropy',
    'crossEntropyBackward',
    'swiglu',
    'swigluBackward',
    'attention',
    'attentionBackward',
    'indexSelect',
    'indexAdd',
    'gather',
    'scatterAdd',
    'adamw',
    'topk',
    'cumsum',
  ];
  for (const k of kernels) assert.ok(own.has(k), `WasmBackend does not override ${k}`);
  assert.deepEqual(variants.map((v) => v.backend.name).sort(), [
    'wasm-relaxed-simd',
    'wasm-relaxed-simd',
    'wasm-simd',
    'wasm-simd',
  ]);
});
