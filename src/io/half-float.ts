/**
 * IEEE 754 binary16 ("F16") and bfloat16 ("BF16") codecs: the 16-bit storage dtypes of safetensors
 * checkpoints (Hugging Face stores DeepSeek-V3's norms, embedding and head in BF16).
 *
 * Encoding rounds to nearest, ties to even, straight from the float64 value (no double rounding
 * through float32); overflow goes to +-Infinity as IEEE specifies; NaN becomes the quiet NaN
 * 0x7e00 (F16) or 0x7fc0 (BF16) with the input's sign dropped. Decoding is exact into float32.
 * Bulk bfloat16 encoding of a Float32Array uses the float32 bit pattern directly, which is exact
 * because the input is already float32.
 */
import { type MiniFloatFormat, packMagnitude, roundMagnitude, unpackMagnitude } from './float-round.js';

/** binary16: 5 exponent bits (bias 15), 10 mantissa bits, max 65504. */
export const F16: MiniFloatFormat = Object.freeze({
  mantissaBits: 10,
  exponentBits: 5,
  bias: 15,
  maxFinite: 65504,
  overflowToInfinity: true,
});

/** bfloat16: float32's 8 exponent bits (bias 127), 7 mantissa bits. */
export const BF16: MiniFloatFormat = Object.freeze({
  mantissaBits: 7,
  exponentBits: 8,
  bias: 127,
  maxFinite: (2 - 2 ** -7) * 2 ** 127,
  overflowToInfinity: true,
});

function encode16(x: number, fmt: MiniFloatFormat, nan: number): number {
  if (Number.isNaN(x)) return nan;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const v = roundMagnitude(Math.abs(x), fmt);
  const infBits = (2 ** fmt.exponentBits - 1) * 2 ** fmt.mantissaBits;
  return sign | (v === Infinity ? infBits : packMagnitude(v, fmt));
}

function decode16(bits: number, fmt: MiniFloatFormat): number {
  const b = bits & 0xffff;
  const sign = b & 0x8000 ? -1 : 1;
  const mag = b & 0x7fff;
  const expField = mag >>> fmt.mantissaBits;
  if (expField === 2 ** fmt.exponentBits - 1) {
    return mag % 2 ** fmt.mantissaBits === 0 ? sign * Infinity : NaN;
  }
  return sign * unpackMagnitude(mag, fmt);
}

/** Encodes a number as float16 bits (round to nearest even). */
export function encodeF16(x: number): number {
  return encode16(x, F16, 0x7e00);
}

/** Decodes float16 bits to their exact value. */
export function decodeF16(bits: number): number {
  return decode16(bits, F16);
}

/** Encodes a number as bfloat16 bits (round to nearest even). */
export function encodeBF16(x: number): number {
  return encode16(x, BF16, 0x7fc0);
}

/** Decodes bfloat16 bits to their exact value. */
export function decodeBF16(bits: number): number {
  return decode16(bits, BF16);
}

/** Encodes numbers as float16 bit patterns. */
export function encodeF16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeF16(values[i]!);
  return out;
}

/** Decodes float16 bit patterns into float32 (exact). */
export function decodeF16Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = decodeF16(bits[i]!);
  return out;
}

/** Encodes numbers as bfloat16 bit patterns; a Float32Array takes the exact bit-level fast path. */
export function encodeBF16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  if (values instanceof Float32Array) {
    const u32 = new Uint32Array(values.buffer, values.byteOffset, values.length);
    for (let i = 0; i < u32.length; i++) {
      const u = u32[i]!;
      if ((u & 0x7fffffff) > 0x7f800000)
        out[i] = 0x7fc0; // NaN
      else out[i] = (u + 0x7fff + ((u >>> 16) & 1)) >>> 16; // RNE on the low 16 bits; carries into the exponent
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = encodeBF16(values[i]!);
  return out;
}

/** Decodes bfloat16 bit patterns into float32 (exact: bfloat16 is float32's top half). */
export function decodeBF16Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const u32 = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) u32[i] = bits[i]! << 16;
  return out;
}
