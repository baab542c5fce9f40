/**
 * FP8 E4M3 as in the OCP 8-bit floating point spec ("E4M3FN" in PyTorch/ml_dtypes): 1 sign bit,
 * 4 exponent bits (bias 7), 3 mantissa bits; no infinities; S.1111.111 (0x7f / 0xff) is NaN, so the
 * largest finite magnitude is 1.75 * 2^8 = 448 and the smallest subnormal is 2^-9.
 *
 * This is the format of DeepSeek-V3's FP8 weights (README_WEIGHTS.md: `torch.float8_e4m3fn`, with a
 * float32 `weight_scale_inv` per 128x128 block) and of its FP8 training recipe (V3 paper 3.3).
 *
 * Departure from PyTorch: encoding saturates. PyTorch's cast turns magnitudes above 464 (and
 * +-Infinity) into NaN; here they become +-448, which is what a scaled quantiser (scale = amax/448)
 * wants and what the brief for this module asks for. NaN encodes as 0x7f.
 */
import { type MiniFloatFormat, packMagnitude, roundMagnitude, unpackMagnitude } from './float-round.js';

/** The E4M3 field layout; saturating, since the format has no infinity. */
export const E4M3: MiniFloatFormat = Object.freeze({
  mantissaBits: 3,
  exponentBits: 4,
  bias: 7,
  maxFinite: 448,
  overflowToInfinity: false,
});

/** Largest finite E4M3 magnitude. */
export const E4M3_MAX = 448;

/** The canonical NaN code this encoder produces. */
export const E4M3_NAN = 0x7f;

/** Encodes one number as an E4M3 byte: round to nearest even, saturating to +-448, NaN to 0x7f. */
export function encodeE4M3(x: number): number {
  if (Number.isNaN(x)) return E4M3_NAN;
  const sign = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  const a = Math.abs(x);
  const v = roundMagnitude(a, E4M3);
  return sign | packMagnitude(v, E4M3);
}

/** Decodes one E4M3 byte (0..255) to its exact value (NaN for 0x7f and 0xff). */
export function decodeE4M3(byte: number): number {
  const b = byte & 0xff;
  if ((b & 0x7f) === 0x7f) return NaN;
  const v = unpackMagnitude(b & 0x7f, E4M3);
  return b & 0x80 ? -v : v;
}

/** Encodes an array of numbers into E4M3 bytes (see encodeE4M3). */
export function encodeE4M3Array(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = encodeE4M3(values[i]!);
  return out;
}

/** Decodes E4M3 bytes into float32 (every E4M3 value is exact in float32). */
export function decodeE4M3Array(bytes: Uint8Array): Float32Array {
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = decodeE4M3(b);
  const out = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = table[bytes[i]!]!;
  return out;
}
