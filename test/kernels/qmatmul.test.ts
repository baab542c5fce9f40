// Compact-weight products (Backend.quantMatmul): the WASM kernels (fused decode-and-dot at m = 1,
// decoded panels at m > 1) against the reference (the format's TS dequantizer, float64 sums), for
// every storage format, on shapes with odd row counts, several blocks per row (224 columns: Q8_0's
// four-block loop and its tail; 4,128: past WIDE_K, where Q8_0 keeps x at int8), several decoded
// panels (packed GEMM above 8 rows of x) and row tails for the plain formats; plus one case checked by hand.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Backend } from '../../src/kernels/backend.js';
import { encodeGgufData } from '../../src/io/gguf-encode.js';
import { GGML_BLOCKS, GGML_TYPES, type GgmlType } from '../../src/io/gguf-format.js';
import { type Arena, check, startBackends, type Variant } from './harness.js';

let ref: Backend, variants: Variant[], dispose: () => void;
before(async () => {
  ({ ref, variants, dispose } = await startBackends());
});
after(() => dispose());

/** Copies bytes into the arena (padded to whole int32 words) and returns their pointer. */
function putBytes(arena: Arena, bytes: Uint8Array): number {
  const words = new Int32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(words.buffer).set(bytes);
  return arena.ints(words);
}

function qmatmulCase(type: GgmlType, m: number, n: number, k: number, withBias = false) {
  return (be: Backend, arena: Arena, r: () => number) => {
    const values = Float32Array.from({ length: n * k }, () => (r() * 2 - 1) * (1 + 3 * r()));
    const w = putBytes(arena, encodeGgufData(type, values));
    const x = arena.floats(m * k, r);
    const y = arena.floats(m * n, r);
    const bias = withBias ? arena.floats(n, r) : 0;
    be.quantMatmul({ type: GGML_TYPES[type], m, n, k, x, w, y, bias });
    return [{ ptr: y, n: m * n }];
  };
}

describe('quantMatmul: WASM kernels against the reference', () => {
  for (const type of Object.keys(GGML_TYPES) as GgmlType[]) {
    const blk = GGML_BLOCKS[type].elems;
    const ks = blk === 1 ? [13, 64] : blk === 32 ? [32, 96, 224, 4128] : [256, 768];
    for (const k of ks)
      for (const [m, n] of [
        [1, 1],
        [1, 37],
        [2, 7],
        [5, 37],
        [9, 4],
        [17, 131],
      ] as const)
        it(`${type} m=${m} n=${n} k=${k}`, () => {
          check(`quantMatmul ${type}`, ref, variants, qmatmulCase(type, m, n, k), 2e-5);
        });
  }
});

describe('quantMatmul with a bias: WASM kernels against the reference', () => {
  // the three kernel paths: integer dots (block formats, m <= 8), plain dots (F32 at m = 1), decoded panels (m = 9)
  for (const [type, k] of [
    ['Q8_0', 96],
    ['Q4_K', 256],
    ['F32', 13],
  ] as const)
    for (const m of [1, 2, 9])
      it(`${type} m=${m} n=37 k=${k}`, () => {
        check(`quantMatmul ${type} + bias`, ref, variants, qmatmulCase(type, m, 37, k, true), 2e-5);
      });
});

describe('quantMatmul reference', () => {
  it('adds the bias to every row of the product', () => {
    const mem = ref.f32();
    const base = Math.ceil(ref.heapBase / 64) * 64,
      [m, n, k] = [3, 5, 32];
    const values = Float32Array.from({ length: n * k }, (_, i) => Math.sin(i));
    const w = base,
      x = base + 1024,
      y = x + 4 * m * k,
      yb = y + 4 * m * n,
      bias = yb + 4 * m * n;
    new Uint8Array(mem.buffer).set(encodeGgufData('Q8_0', values), w);
    for (let p = 0; p < m * k; p++) mem[(x >>> 2) + p] = Math.cos(p);
    for (let j = 0; j < n; j++) mem[(bias >>> 2) + j] = j - 2.5;
    ref.quantMatmul({ type: GGML_TYPES.Q8_0, m, n, k, x, w, y });
    ref.quantMatmul({ type: GGML_TYPES.Q8_0, m, n, k, x, w, y: yb, bias });
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++)
        assert.equal(mem[(yb >>> 2) + i * n + j], Math.fround(mem[(y >>> 2) + i * n + j]! + (j - 2.5)));
  });

  it('multiplies a hand-made Q4_0 row into x', () => {
    // one Q4_0 block: d = 0.5, element 0 -> (15 - 8) * 0.5 = 3.5, element 16 -> (9 - 8) * 0.5, others 0
    const block = new Uint8Array(20).fill(0x88);
    new DataView(block.buffer).setUint16(0, 0x3800, true);
    block[2] = 0x9f;
    const mem = ref.f32();
    const base = Math.ceil(ref.heapBase / 64) * 64,
      w = base,
      x = base + 64,
      y = base + 256;
    new Uint8Array(mem.buffer).set(block, w);
    // x = 127 at 0, 2 at 16, else 0: its 8-bit rounding (scale 127 / 127 = 1) is exact
    for (let p = 0; p < 32; p++) mem[(x >>> 2) + p] = p === 0 ? 127 : p === 16 ? 2 : 0;
    ref.quantMatmul({ type: GGML_TYPES.Q4_0, m: 1, n: 1, k: 32, x, w, y });
    assert.equal(mem[y >>> 2], 3.5 * 127 + 0.5 * 2);
    // at m = 1 x is rounded to 8 bits per block: 1..32 becomes round(p * 127 / 32) * 32 / 127
    for (let p = 0; p < 32; p++) mem[(x >>> 2) + p] = p + 1;
    ref.quantMatmul({ type: GGML_TYPES.Q4_0, m: 1, n: 1, k: 32, x, w, y });
    const s = Math.fround(32 / 127);
    assert.ok(Math.abs(mem[y >>> 2]! - (3.5 * Math.round(1 / s) * s + 0.5 * Math.round(17 / s) * s)) < 1e-5);
    assert.throws(() => ref.quantMatmul({ type: 3, m: 1, n: 1, k: 32, x, w, y }), /unknown ggml type code 3/);
  });
});

function qrowsCase(type: GgmlType, rows: number, k: number, ids: number[]) {
  return (be: Backend, arena: Arena, r: () => number) => {
    const values = Float32Array.from({ length: rows * k }, () => r() * 2 - 1);
    const w = putBytes(arena, encodeGgufData(type, values));
    const idx = arena.ints(ids);
    const out = arena.floats(ids.length * k, r);
    be.quantRows(GGML_TYPES[type], k, w, idx, ids.length, out);
    return [{ ptr: out, n: ids.length * k }];
  };
}

describe('quantRows: WASM row decoding against the reference', () => {
  for (const type of Object.keys(GGML_TYPES) as GgmlType[]) {
    const k = GGML_BLOCKS[type].elems === 256 ? 512 : 64;
    it(`${type} rows 5, 0, 5, 6 of 7`, () => {
      check(`quantRows ${type}`, ref, variants, qrowsCase(type, 7, k, [5, 0, 5, 6]), 0);
    });
  }
});
