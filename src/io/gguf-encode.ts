/**
 * Encoding float32 values into the raw bytes of a GGUF tensor: F32, F16 and BF16 (round to
 * nearest even) and the block formats of src/io/quant-blocks.ts (Q8_0 and Q4_0 as ggml's reference
 * quantisers compute them; Q4_K and Q6_K with plain max-based scales).
 */
import { encodeBF16Array, encodeF16Array } from './half-float.js';
import type { GgmlType } from './gguf-format.js';
import { quantizer } from './quant-blocks.js';

export { quantizeQ8_0 } from './quant-blocks.js';

function bytesOf(a: Float32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
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
    default:
      return quantizer(type)(values);
  }
}
