/**
 * The reference of the compact-weight product (Backend.quantMatmul): each weight row decoded by
 * the format's reference dequantizer (src/io/quant-blocks.ts, where the block layouts are defined
 * once) and multiplied into every row of x with float64 accumulation. The oracle of the WASM
 * kernel (assembly/qmatmul.ts) and the fallback where WASM is unavailable.
 */
import { GGML_BLOCKS, ggmlTypeName } from '../io/gguf-format.js';
import { dequantize } from '../io/quant-blocks.js';
import type { QuantMatmulArgs } from './backend.js';

/** y[m, n] = x[m, k] W[n, k]^T on `memory`, W decoded row by row. */
export function quantMatmulReference(memory: WebAssembly.Memory, a: QuantMatmulArgs): void {
  const type = ggmlTypeName(a.type);
  if (type === undefined) throw new Error(`quantMatmul: unknown ggml type code ${a.type}`);
  const blk = GGML_BLOCKS[type];
  if (a.k % blk.elems !== 0)
    throw new Error(`quantMatmul: k = ${a.k} is not a whole number of ${type} blocks (${blk.elems} elements)`);
  const rowBytes = (a.k / blk.elems) * blk.bytes;
  const bytes = new Uint8Array(memory.buffer),
    f = new Float32Array(memory.buffer);
  const X = a.x >>> 2,
    Y = a.y >>> 2;
  for (let j = 0; j < a.n; j++) {
    const start = a.w + j * rowBytes;
    const row = dequantize(type, bytes.subarray(start, start + rowBytes), a.k);
    for (let i = 0; i < a.m; i++) {
      let s = 0;
      for (let p = 0; p < a.k; p++) s += f[X + i * a.k + p]! * row[p]!;
      f[Y + i * a.n + j] = s;
    }
  }
}
