/**
 * llama.cpp's block quantization formats (ggml-common.h / ggml-quants.c, read for the layouts only):
 * the pure-TS reference dequantizer of every format and the quantizers this project writes.
 *
 * Layouts (little-endian; "f16" is an IEEE half):
 * - Q8_0, 32 elements in 34 bytes: f16 d, int8 q[32]; x = d * q.
 * - Q4_0, 32 elements in 18 bytes: f16 d, u8 qs[16]; element j < 16 is the low nibble of qs[j],
 *   element j + 16 its high nibble; x = d * (nibble - 8).
 * - Q4_K, 256 elements in 144 bytes: f16 d, f16 dmin, u8 scales[12] (eight 6-bit scales and eight
 *   6-bit mins, packed as below), u8 qs[128]. Sub-block s (32 elements) has x = d * sc[s] * q -
 *   dmin * m[s]; chunk c of 64 elements takes qs[32c..32c+32): low nibbles are sub-block 2c, high
 *   nibbles sub-block 2c + 1. Scales: for s < 4, sc = scales[s] & 63 and m = scales[s + 4] & 63;
 *   for s >= 4, sc = (scales[s + 4] & 15) | (scales[s - 4] >> 6) << 4 and
 *   m = (scales[s + 4] >> 4) | (scales[s] >> 6) << 4.
 * - Q6_K, 256 elements in 210 bytes: u8 ql[128] (low 4 bits), u8 qh[64] (high 2 bits), int8
 *   scales[16] (one per 16 elements), f16 d; x = d * scales[i / 16] * (q - 32). In each half h of
 *   128 elements, element h*128 + 32g + l (g < 4, l < 32) takes its low bits from ql[64h + l + 32(g & 1)]
 *   (low nibble for g < 2, high nibble otherwise) and its high bits from bits 2g..2g+1 of qh[32h + l].
 *
 * Quantizers: Q8_0 and Q4_0 compute exactly what ggml's reference quantizers compute (float32
 * arithmetic, the same rounding), so our files equal llama.cpp's for the same input. Q4_K and
 * Q6_K use a plain max-based choice of scales (llama.cpp searches for better scales with an
 * iterative fit): the bytes differ from llama-quantize's, the format and what it decodes to do not.
 */
import { decodeF16, encodeF16 } from './half-float.js';
import { GGML_BLOCKS, type GgmlType } from './gguf-format.js';

const f = Math.fround;

/** Every float16 bit pattern's value (a constant table: decoding F16 rows is a lookup). */
const F16_VALUES: Float32Array = Float32Array.from({ length: 65536 }, (_, bits) => decodeF16(bits));

function blocksOf(type: GgmlType, n: number, who: string): number {
  const b = GGML_BLOCKS[type];
  if (n % b.elems !== 0) throw new Error(`${who}: ${n} values; ${type} needs a multiple of ${b.elems}`);
  return n / b.elems;
}

/** The 6-bit scale and min of sub-block s of a Q4_K block (scales at byte offset `o`). */
export function q4kScaleMin(b: Uint8Array, o: number, s: number): [number, number] {
  if (s < 4) return [b[o + s]! & 63, b[o + s + 4]! & 63];
  return [(b[o + s + 4]! & 15) | ((b[o + s - 4]! >> 6) << 4), (b[o + s + 4]! >> 4) | ((b[o + s]! >> 6) << 4)];
}

/** Dequantizes `n` elements of `type` stored in `bytes` (from byte 0) to float32. */
export function dequantize(type: GgmlType, bytes: Uint8Array, n: number): Float32Array {
  const out = new Float32Array(n);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nb = blocksOf(type, n, 'dequantize');
  const need = nb * GGML_BLOCKS[type].bytes;
  if (bytes.byteLength < need)
    throw new Error(`dequantize: ${n} ${type} values need ${need} bytes, got ${bytes.byteLength}`);
  switch (type) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = v.getFloat32(4 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = F16_VALUES[v.getUint16(2 * i, true)]!;
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = v.getUint16(2 * i, true) << 16;
      return out;
    }
    case 'Q8_0':
      for (let b = 0; b < nb; b++) {
        const o = 34 * b,
          d = decodeF16(v.getUint16(o, true));
        for (let j = 0; j < 32; j++) out[32 * b + j] = f(d * v.getInt8(o + 2 + j));
      }
      return out;
    case 'Q4_0':
      for (let b = 0; b < nb; b++) {
        const o = 18 * b,
          d = decodeF16(v.getUint16(o, true));
        for (let j = 0; j < 16; j++) {
          const q = bytes[o + 2 + j]!;
          out[32 * b + j] = f(d * ((q & 15) - 8));
          out[32 * b + j + 16] = f(d * ((q >> 4) - 8));
        }
      }
      return out;
    case 'Q4_K':
      for (let b = 0; b < nb; b++) {
        const o = 144 * b,
          d = decodeF16(v.getUint16(o, true)),
          dmin = decodeF16(v.getUint16(o + 2, true));
        for (let c = 0; c < 4; c++) {
          const [sc0, m0] = q4kScaleMin(bytes, o + 4, 2 * c),
            [sc1, m1] = q4kScaleMin(bytes, o + 4, 2 * c + 1);
          const d0 = f(d * sc0),
            n0 = f(dmin * m0),
            d1 = f(d * sc1),
            n1 = f(dmin * m1);
          for (let l = 0; l < 32; l++) {
            const q = bytes[o + 16 + 32 * c + l]!;
            out[256 * b + 64 * c + l] = f(f(d0 * (q & 15)) - n0);
            out[256 * b + 64 * c + 32 + l] = f(f(d1 * (q >> 4)) - n1);
          }
        }
      }
      return out;
    case 'Q6_K':
      for (let b = 0; b < nb; b++) {
        const o = 210 * b,
          d = decodeF16(v.getUint16(o + 208, true));
        for (let i = 0; i < 256; i++) {
          const h = i >> 7,
            g = (i >> 5) & 3,
            l = i & 31;
          const lo = bytes[o + 64 * h + l + 32 * (g & 1)]!,
            hi = bytes[o + 128 + 32 * h + l]!;
          const q = ((g < 2 ? lo & 15 : lo >> 4) | (((hi >> (2 * g)) & 3) << 4)) - 32;
          out[256 * b + i] = f(f(d * v.getInt8(o + 192 + (i >> 4))) * q);
        }
      }
      return out;
  }
}

/** Q8_0 blocks of `x` (length a multiple of 32), as ggml's quantize_row_q8_0_ref. */
export function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nb = blocksOf('Q8_0', x.length, 'quantizeQ8_0'),
    out = new Uint8Array(34 * nb),
    q = new Int8Array(out.buffer);
  for (let b = 0; b < nb; b++) {
    const o = 32 * b;
    let amax = 0;
    for (let j = 0; j < 32; j++) {
      const a = Math.abs(x[o + j]!);
      if (a > amax) amax = a;
    }
    const d = f(amax / 127),
      id = d !== 0 ? f(1 / d) : 0,
      h = encodeF16(d);
    out[34 * b] = h & 255;
    out[34 * b + 1] = h >> 8;
    for (let j = 0; j < 32; j++) {
      const t = f(x[o + j]! * id);
      q[34 * b + 2 + j] = t < 0 ? -Math.round(-t) : Math.round(t);
    }
  }
  return out;
}

/** Q4_0 blocks of `x`, as ggml's quantize_row_q4_0_ref: d = (signed max-magnitude) / -8, q = min(15, trunc(x/d + 8.5)). */
export function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nb = blocksOf('Q4_0', x.length, 'quantizeQ4_0'),
    out = new Uint8Array(18 * nb),
    v = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    let amax = 0,
      max = 0;
    for (let j = 0; j < 32; j++) {
      const a = x[32 * b + j]!;
      if (Math.abs(a) > amax) {
        amax = Math.abs(a);
        max = a;
      }
    }
    const d = f(max / -8),
      id = d !== 0 ? f(1 / d) : 0;
    v.setUint16(18 * b, encodeF16(d), true);
    const q = (a: number): number => Math.min(15, Math.trunc(f(f(a * id) + 8.5)));
    for (let j = 0; j < 16; j++) out[18 * b + 2 + j] = q(x[32 * b + j]!) | (q(x[32 * b + j + 16]!) << 4);
  }
  return out;
}

/** Q4_K blocks of `x` (length a multiple of 256): per sub-block range scale and min, 6-bit codes. */
export function quantizeQ4_K(x: Float32Array): Uint8Array {
  const nb = blocksOf('Q4_K', x.length, 'quantizeQ4_K'),
    out = new Uint8Array(144 * nb),
    v = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = 256 * b,
      o = 144 * b;
    const scale = new Float64Array(8),
      mins = new Float64Array(8);
    for (let s = 0; s < 8; s++) {
      let lo = 0,
        hi = 0;
      for (let j = 0; j < 32; j++) {
        lo = Math.min(lo, x[base + 32 * s + j]!);
        hi = Math.max(hi, x[base + 32 * s + j]!);
      }
      scale[s] = (hi - lo) / 15;
      mins[s] = -lo;
    }
    const d = decodeF16(encodeF16(scale.reduce((a, b) => Math.max(a, b), -Infinity) / 63)),
      dmin = decodeF16(encodeF16(mins.reduce((a, b) => Math.max(a, b), -Infinity) / 63));
    v.setUint16(o, encodeF16(d), true);
    v.setUint16(o + 2, encodeF16(dmin), true);
    const sc = new Uint8Array(8),
      mn = new Uint8Array(8);
    for (let s = 0; s < 8; s++) {
      sc[s] = d > 0 ? Math.min(63, Math.round(scale[s]! / d)) : 0;
      mn[s] = dmin > 0 ? Math.min(63, Math.round(mins[s]! / dmin)) : 0;
    }
    for (let s = 0; s < 4; s++) {
      out[o + 4 + s] = (sc[s]! & 63) | ((sc[s + 4]! >> 4) << 6);
      out[o + 8 + s] = (mn[s]! & 63) | ((mn[s + 4]! >> 4) << 6);
      out[o + 12 + s] = (sc[s + 4]! & 15) | ((mn[s + 4]! & 15) << 4);
    }
    for (let s = 0; s < 8; s++) {
      const ds = f(d * sc[s]!),
        ms = f(dmin * mn[s]!);
      for (let j = 0; j < 32; j++) {
        const q = ds > 0 ? Math.max(0, Math.min(15, Math.round((x[base + 32 * s + j]! + ms) / ds))) : 0;
        const at = o + 16 + 32 * (s >> 1) + j;
        out[at] = out[at]! | (s & 1 ? q << 4 : q);
      }
    }
  }
  return out;
}

/** Q6_K blocks of `x` (length a multiple of 256): per 16-element int8 scales under one f16 d. */
export function quantizeQ6_K(x: Float32Array): Uint8Array {
  const nb = blocksOf('Q6_K', x.length, 'quantizeQ6_K'),
    out = new Uint8Array(210 * nb),
    v = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = 256 * b,
      o = 210 * b;
    const scale = new Float64Array(16);
    let smax = 0;
    for (let s = 0; s < 16; s++) {
      let amax = 0,
        max = 0;
      for (let j = 0; j < 16; j++) {
        const a = x[base + 16 * s + j]!;
        if (Math.abs(a) > amax) {
          amax = Math.abs(a);
          max = a;
        }
      }
      scale[s] = max / -32;
      if (Math.abs(scale[s]!) > Math.abs(smax)) smax = scale[s]!;
    }
    const d = decodeF16(encodeF16(smax / -128));
    v.setUint16(o + 208, encodeF16(d), true);
    for (let s = 0; s < 16; s++) {
      const sc = d !== 0 ? Math.max(-128, Math.min(127, Math.round(scale[s]! / d))) : 0;
      v.setInt8(o + 192 + s, sc);
      const ds = f(d * sc);
      for (let j = 0; j < 16; j++) {
        const i = 16 * s + j,
          q = ds !== 0 ? Math.max(-32, Math.min(31, Math.round(x[base + i]! / ds))) + 32 : 32;
        const h = i >> 7,
          g = (i >> 5) & 3,
          l = i & 31;
        const lo = o + 64 * h + l + 32 * (g & 1),
          hi = o + 128 + 32 * h + l;
        out[lo] = out[lo]! | (g < 2 ? q & 15 : (q & 15) << 4);
        out[hi] = out[hi]! | ((q >> 4) << (2 * g));
      }
    }
  }
  return out;
}

/** The quantizer of a block type. */
export function quantizer(type: 'Q4_0' | 'Q8_0' | 'Q4_K' | 'Q6_K'): (x: Float32Array) => Uint8Array {
  return { Q4_0: quantizeQ4_0, Q8_0: quantizeQ8_0, Q4_K: quantizeQ4_K, Q6_K: quantizeQ6_K }[type];
}
