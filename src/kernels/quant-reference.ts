/**
 * The reference of the compact-weight product (Backend.quantMatmul): each weight row decoded by
 * the format's reference dequantizer (src/io/quant-blocks.ts, where the block layouts are defined
 * once) and multiplied into every row of x with float64 accumulation. At m <= 8 with a block format,
 * x is first rounded to 8 bits per block (float32 scale amax / 127, ties to even) of 32 elements,
 * or 256 for the K formats, as the decode kernel (and llama.cpp: Q8_0 / Q8_K) does. The oracle of the WASM
 * kernel (assembly/qmatmul.ts) and the fallback where WASM is unavailable.
 */
import { GGML_BLOCKS, type GgmlType, ggmlTypeName } from '../io/gguf-format.js';
import { dequantize } from '../io/quant-blocks.js';
import type { QuantMatmulArgs } from './backend.js';

function format(code: number, k: number, who: string): { type: GgmlType; rowBytes: number } {
  const type = ggmlTypeName(code);
  if (type === undefined) throw new Error(`${who}: unknown ggml type code ${code}`);
  const blk = GGML_BLOCKS[type];
  if (k % blk.elems !== 0)
    throw new Error(`${who}: k = ${k} is not a whole number of ${type} blocks (${blk.elems} elements)`);
  return { type, rowBytes: (k / blk.elems) * blk.bytes };
}

/** y[m, n] = x[m, k] W[n, k]^T on `memory`, W decoded row by row. */
export function quantMatmulReference(memory: WebAssembly.Memory, a: QuantMatmulArgs): void {
  const { type, rowBytes } = format(a.type, a.k, 'quantMatmul');
  const blk = GGML_BLOCKS[type];
  const bytes = new Uint8Array(memory.buffer),
    f = new Float32Array(memory.buffer);
  const X = a.x >>> 2,
    Y = a.y >>> 2;
  // the decode kernel's integer path: up to 8 rows of x, rounded per block
  const rounded =
    a.m <= 8 && a.m * a.k <= 1 << 20 && blk.elems > 1
      ? Array.from({ length: a.m }, (_, i) =>
          roundX(f.subarray(X + i * a.k, X + (i + 1) * a.k), blk.elems === 256 ? 256 : 32),
        )
      : undefined;
  for (let j = 0; j < a.n; j++) {
    const start = a.w + j * rowBytes;
    const row = dequantize(type, bytes.subarray(start, start + rowBytes), a.k);
    for (let i = 0; i < a.m; i++) {
      let s = 0;
      const xs = rounded?.[i];
      if (xs) for (let p = 0; p < a.k; p++) s += xs[p]! * row[p]!;
      else for (let p = 0; p < a.k; p++) s += f[X + i * a.k + p]! * row[p]!;
      f[Y + i * a.n + j] = a.bias ? Math.fround(s) + f[(a.bias >>> 2) + j]! : s; // the product in float32, then its bias (as a separate add)
    }
  }
}

/** out[i] = decoded row idx[i] of w (k columns). */
export function quantRowsReference(
  memory: WebAssembly.Memory,
  code: number,
  k: number,
  w: number,
  idx: number,
  count: number,
  out: number,
): void {
  const { type, rowBytes } = format(code, k, 'quantRows');
  const bytes = new Uint8Array(memory.buffer),
    f = new Float32Array(memory.buffer),
    ids = new Int32Array(memory.buffer);
  for (let i = 0; i < count; i++) {
    const start = w + ids[(idx >>> 2) + i]! * rowBytes;
    f.set(dequantize(type, bytes.subarray(start, start + rowBytes), k), (out >>> 2) + i * k);
  }
}

function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** x rounded to int8 codes per block of `block` elements and scaled back (float64 of scale * code). */
export function roundX(x: Float32Array, block: number): Float64Array {
  const f = Math.fround,
    out = new Float64Array(x.length);
  for (let b = 0; b < x.length / block; b++) {
    let amax = 0;
    for (let j = 0; j < block; j++) amax = Math.max(amax, Math.abs(x[block * b + j]!));
    const scale = f(amax / 127),
      inv = scale !== 0 ? f(1 / scale) : 0;
    for (let j = 0; j < block; j++)
      out[block * b + j] = scale * Math.max(-128, Math.min(127, roundEven(f(x[block * b + j]! * inv))));
  }
  return out;
}
