/**
 * Encoding float32 values into the raw bytes of a GGUF tensor: F32, F16 and BF16 (round to
 * nearest even) and Q8_0 as ggml's reference quantiser does it (`quantize_row_q8_0_ref` in
 * ggml-quants.c: per block of 32, d = amax / 127 stored as f16, q = roundf(x / d) with ties away
 * from zero, computed in float32).
 */
import { encodeBF16Array, encodeF16Array, encodeF16 } from './half-float.js';
import { type GgmlType, Q8_0_BLOCK, Q8_0_BLOCK_BYTES } from './gguf-format.js';

function bytesOf(a: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Q8_0 blocks of `values` (length a multiple of 32). */
export function quantizeQ8_0(values: Float32Array): Uint8Array {
  if (values.length % Q8_0_BLOCK !== 0)
    throw new Error(`quantizeQ8_0: ${values.length} values; expected a multiple of ${Q8_0_BLOCK}`);
  const blocks = values.length / Q8_0_BLOCK;
  const out = new Uint8Array(blocks * Q8_0_BLOCK_BYTES);
  const view = new DataView(out.buffer);
  const f = Math.fround;
  for (let b = 0; b < blocks; b++) {
    let amax = 0;
    for (let j = 0; j < Q8_0_BLOCK; j++) amax = Math.max(amax, Math.abs(values[b * Q8_0_BLOCK + j]!));
    const d = f(amax / 127);
    const id = d !== 0 ? f(1 / d) : 0;
    view.setUint16(b * Q8_0_BLOCK_BYTES, encodeF16(d), true);
    for (let j = 0; j < Q8_0_BLOCK; j++) {
      const x = f(values[b * Q8_0_BLOCK + j]! * id);
      view.setInt8(b * Q8_0_BLOCK_BYTES + 2 + j, Math.sign(x) * Math.round(Math.abs(x)));
    }
  }
  return out;
}

/** The raw bytes of float32 `values` stored as `type`. */
export function encodeGgufData(type: GgmlType, values: Float32Array): Uint8Array {
  switch (type) {
    case 'F32':
      return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
    case 'F16':
      return bytesOf(encodeF16Array(values));
    case 'BF16':
      return bytesOf(encodeBF16Array(values));
    case 'Q8_0':
      return quantizeQ8_0(values);
  }
}
