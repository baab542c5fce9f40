// Matrix products against weights kept in their compact storage format (F32, F16, BF16 and
// llama.cpp's block formats Q8_0, Q4_0, Q4_K, Q6_K; layouts in src/io/quant-blocks.ts):
// y[m, n] = x[m, k] W[n, k]^T with x and y float32. Nothing is unpacked ahead of time.
// - m <= 8 (decoding): one pass over the weights (batch-1 decode is bound by that read). For the
//   block formats x is first rounded to 8 bits per block (scale amax / 127, ties to even) of 32
//   elements for Q8_0/Q4_0 and 256 for the K formats, as llama.cpp does (Q8_0 / Q8_K), and each
//   block is an integer dot product times the two scales; offsets and mins are corrected with the
//   block sums of x. Q8_0 rows up to WIDE_K columns take x widened to int16, so each 8 weights are
//   one widening and one int16 pair-dot (i32x4.dot_i16x8_s); longer rows keep x at int8 (int8
//   products summed in int16 lanes, then int32), which measured faster there. 4-bit and 6-bit
//   codes go through relaxed-SIMD's i8 x i7 dot where compiled in. (Two rows per pass, sharing x's
//   loads, measured slower: about half the GB/s at k = 1536.)
//   Relaxed-SIMD's int32 i8 x i7 dot gave wrong sums on Node 20 (V8 11.3) in either operand order, so it
//   is not used. F32/F16/BF16 rows are decoded to float in registers.
// - m > 1 (prefill, batched decode): a panel of up to 64 weight rows is decoded to float32 in this
//   thread's scratch and multiplied into the m rows (the packed GEMM above 8 rows, the 4-row
//   kernels below), so each weight is decoded once per call, not once per row of x.
// Threads split the n output rows. Args: 0 ggml type code, 1 m, 2 n, 3 k, 4 x, 5 w, 6 y, 7 bias (0: none).
// qrowsJob decodes selected rows (embedding lookups from a compact table).
import { argi, argp, at, rng, scratch } from './args';
import { gemmRange, PACK_A_BYTES, PACK_B_BYTES } from './gemm';
import { smallRowsBT } from './gemm-small';
import { fma } from './simd';

const F32: i32 = 0, F16: i32 = 1, Q4_0: i32 = 2, Q8_0: i32 = 8, Q4_K: i32 = 12, Q6_K: i32 = 14, BF16: i32 = 30;
/** The decoded panel sits after the packed-GEMM buffers of this thread's scratch (A, B, edge tile). */
const PANEL_OFFSET: usize = PACK_A_BYTES + PACK_B_BYTES + 4096;
const PANEL_BYTES: i32 = 1400 * 1024;
/** Above this many rows of x a decoded panel goes through the packed GEMM, below through the 4-row kernels. */
const PACKED_M: i32 = 8;
/** Scratch layout of the rounded x (m <= 8): codes, then a float scale per 32, int32 sums per 16, int16 sums per 32. */
const XQ_MAX: i32 = 1 << 20;
/** Up to this many rows of x, block formats take the integer path (each weight row read once for all rows). */
const INT_M: i32 = 8;
/** Q8_0 rows of at most this many columns take x widened to int16 (dotQ8_0q), longer ones int8 codes (dotQ8_0q8). */
const WIDE_K: i32 = 4096;

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** An IEEE half to float32: the magnitude's bits shifted into place, rescaled by 2^112, sign or'ed in. */
// @ts-ignore: decorator
@inline function half(h: u32): f32 {
  const mag = reinterpret<f32>((h & 0x7fff) << 13) * 5.192296858534828e33;
  return reinterpret<f32>(reinterpret<u32>(mag) | ((h & 0x8000) << 16));
}

/** Four halves (u32 lanes) to float32 lanes, as half() does. */
// @ts-ignore: decorator
@inline function half4(h: v128): v128 {
  const mag = f32x4.mul(i32x4.shl(v128.and(h, i32x4.splat(0x7fff)), 13), f32x4.splat(5.192296858534828e33));
  return v128.or(mag, i32x4.shl(v128.and(h, i32x4.splat(0x8000)), 16));
}

/** Bytes per row of k elements. */
function rowBytes(type: i32, k: i32): i32 {
  switch (type) {
    case F32: return k << 2;
    case F16: case BF16: return k << 1;
    case Q8_0: return (k >> 5) * 34;
    case Q4_0: return (k >> 5) * 18;
    case Q4_K: return (k >> 8) * 144;
    case Q6_K: return (k >> 8) * 210;
    default: return 0;
  }
}

/** sum_p x[p] * (16 signed bytes at q, as float) for p < 16: the shared inner step of the int8 formats. */
// @ts-ignore: decorator
@inline function dot16(q: v128, x: usize, s0: v128, s1: v128): v128 {
  const lo = i16x8.extend_low_i8x16_s(q), hi = i16x8.extend_high_i8x16_s(q);
  let a = fma(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(lo)), v128.load(x), s0);
  let b = fma(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(lo)), v128.load(x, 16), s1);
  a = fma(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(hi)), v128.load(x, 32), a);
  b = fma(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(hi)), v128.load(x, 48), b);
  return f32x4.add(a, b);
}

function dotF32(w: usize, x: usize, k: i32): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let p = 0;
  for (; p + 8 <= k; p += 8) {
    const o = <usize>p << 2;
    s0 = fma(v128.load(w + o), v128.load(x + o), s0);
    s1 = fma(v128.load(w + o, 16), v128.load(x + o, 16), s1);
  }
  let t = hsum(f32x4.add(s0, s1));
  for (; p < k; p++) t += load<f32>(w + (<usize>p << 2)) * load<f32>(x + (<usize>p << 2));
  return t;
}

function dotHalf(w: usize, x: usize, k: i32, bf: bool): f32 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let p = 0;
  for (; p + 8 <= k; p += 8) {
    const h = v128.load(w + (<usize>p << 1)), xo = x + (<usize>p << 2);
    const lo = i32x4.extend_low_i16x8_u(h), hi = i32x4.extend_high_i16x8_u(h);
    if (bf) {
      s0 = fma(i32x4.shl(lo, 16), v128.load(xo), s0);
      s1 = fma(i32x4.shl(hi, 16), v128.load(xo, 16), s1);
    } else {
      s0 = fma(half4(lo), v128.load(xo), s0);
      s1 = fma(half4(hi), v128.load(xo, 16), s1);
    }
  }
  let t = hsum(f32x4.add(s0, s1));
  for (; p < k; p++) {
    const h = <u32>load<u16>(w + (<usize>p << 1));
    t += (bf ? reinterpret<f32>(h << 16) : half(h)) * load<f32>(x + (<usize>p << 2));
  }
  return t;
}

function dotQ8_0(w: usize, x: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < k >> 5; b++) {
    const blk = w + <usize>b * 34, xb = x + (<usize>b << 7);
    const z = f32x4.splat(0);
    const s = f32x4.add(dot16(v128.load(blk, 2), xb, z, z), dot16(v128.load(blk, 18), xb + 64, z, z));
    acc = fma(f32x4.splat(half(<u32>load<u16>(blk))), s, acc);
  }
  return hsum(acc);
}

function dotQ4_0(w: usize, x: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(15), eight = i8x16.splat(8);
  for (let b = 0; b < k >> 5; b++) {
    const blk = w + <usize>b * 18, xb = x + (<usize>b << 7);
    const q = v128.load(blk, 2);
    const lo = i8x16.sub(v128.and(q, mask), eight), hi = i8x16.sub(i8x16.shr_u(q, 4), eight);
    const z = f32x4.splat(0);
    const s = f32x4.add(dot16(lo, xb, z, z), dot16(hi, xb + 64, z, z));
    acc = fma(f32x4.splat(half(<u32>load<u16>(blk))), s, acc);
  }
  return hsum(acc);
}

/** Sum of 32 floats at x. */
// @ts-ignore: decorator
@inline function sum32(x: usize): v128 {
  const a = f32x4.add(f32x4.add(v128.load(x), v128.load(x, 16)), f32x4.add(v128.load(x, 32), v128.load(x, 48)));
  const b = f32x4.add(f32x4.add(v128.load(x, 64), v128.load(x, 80)), f32x4.add(v128.load(x, 96), v128.load(x, 112)));
  return f32x4.add(a, b);
}

function dotQ4_K(w: usize, x: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(15);
  for (let b = 0; b < k >> 8; b++) {
    const blk = w + <usize>b * 144, xb = x + (<usize>b << 10), sc = blk + 4;
    const d = half(<u32>load<u16>(blk)), dmin = half(<u32>load<u16>(blk, 2));
    for (let c = 0; c < 4; c++) {
      // scales and mins of sub-blocks s0 = 2c and s1 = 2c + 1 (6-bit codes, see quant-blocks.ts)
      const s0 = 2 * c, s1 = s0 + 1;
      let sc0: u32, m0: u32, sc1: u32, m1: u32;
      if (c < 2) {
        sc0 = load<u8>(sc + s0) & 63; m0 = load<u8>(sc + s0 + 4) & 63;
        sc1 = load<u8>(sc + s1) & 63; m1 = load<u8>(sc + s1 + 4) & 63;
      } else {
        sc0 = (load<u8>(sc + s0 + 4) & 15) | ((load<u8>(sc + s0 - 4) >> 6) << 4);
        m0 = (load<u8>(sc + s0 + 4) >> 4) | ((load<u8>(sc + s0) >> 6) << 4);
        sc1 = (load<u8>(sc + s1 + 4) & 15) | ((load<u8>(sc + s1 - 4) >> 6) << 4);
        m1 = (load<u8>(sc + s1 + 4) >> 4) | ((load<u8>(sc + s1) >> 6) << 4);
      }
      const qp = blk + 16 + (<usize>c << 5), x0 = xb + (<usize>c << 8), x1 = x0 + 128;
      const qa = v128.load(qp), qb = v128.load(qp, 16);
      const z = f32x4.splat(0);
      const lo = f32x4.add(dot16(v128.and(qa, mask), x0, z, z), dot16(v128.and(qb, mask), x0 + 64, z, z));
      const hi = f32x4.add(dot16(i8x16.shr_u(qa, 4), x1, z, z), dot16(i8x16.shr_u(qb, 4), x1 + 64, z, z));
      acc = fma(f32x4.splat(d * <f32>sc0), lo, acc);
      acc = fma(f32x4.splat(d * <f32>sc1), hi, acc);
      acc = fma(f32x4.splat(-dmin * <f32>m0), sum32(x0), acc);
      acc = fma(f32x4.splat(-dmin * <f32>m1), sum32(x1), acc);
    }
  }
  return hsum(acc);
}

function dotQ6_K(w: usize, x: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  const mask = i8x16.splat(15), three = i8x16.splat(3), off = i8x16.splat(32);
  for (let b = 0; b < k >> 8; b++) {
    const blk = w + <usize>b * 210, xb = x + (<usize>b << 10);
    const d = half(<u32>load<u16>(blk, 208));
    for (let h = 0; h < 2; h++) {
      const ql = blk + (<usize>h << 6), qh = blk + 128 + (<usize>h << 5);
      for (let lc = 0; lc < 2; lc++) {
        const hb = v128.load(qh + (<usize>lc << 4));
        const la = v128.load(ql + (<usize>lc << 4)), lb = v128.load(ql + 32 + (<usize>lc << 4));
        for (let g = 0; g < 4; g++) {
          const low = g == 0 ? v128.and(la, mask) : g == 1 ? v128.and(lb, mask) : g == 2 ? i8x16.shr_u(la, 4) : i8x16.shr_u(lb, 4);
          const high = i8x16.shl(v128.and(i8x16.shr_u(hb, <u32>(2 * g)), three), 4);
          const q = i8x16.sub(v128.or(low, high), off);
          const i = (h << 7) + (g << 5) + (lc << 4); // first element of this 16-element group
          const z = f32x4.splat(0);
          const s = dot16(q, xb + (<usize>i << 2), z, z);
          acc = fma(f32x4.splat(d * <f32>load<i8>(blk + 192 + (i >> 4))), s, acc);
        }
      }
    }
  }
  return hsum(acc);
}

// @ts-ignore: decorator
@inline function isum4(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * x (k floats) rounded to integer codes per block of `block` (32 or 256) elements: codes at q (int8,
 * or int16 when `wide`: the Q8_0 rows' dot multiplies int16 pairs), one float scale per block at d,
 * per-16 code sums (int32) at sums and per-32 code sums (int16, |sum| <= 32 * 127) at s32.
 */
function quantizeX(x: usize, k: i32, block: i32, wide: bool, q: usize, d: usize, sums: usize, s32: usize): void {
  for (let b = 0; b < k / block; b++) {
    const xb = x + (<usize>(b * block) << 2);
    let mx = f32x4.splat(0);
    for (let j = 0; j < block >> 2; j++) mx = f32x4.max(mx, f32x4.abs(v128.load(xb + (<usize>j << 4))));
    const amax = max(max(f32x4.extract_lane(mx, 0), f32x4.extract_lane(mx, 1)), max(f32x4.extract_lane(mx, 2), f32x4.extract_lane(mx, 3)));
    const scale: f32 = amax / 127, inv = f32x4.splat(scale != 0 ? <f32>1 / scale : 0);
    store<f32>(d + (<usize>b << 2), scale);
    let prev: i32 = 0;
    for (let h = 0; h < block >> 4; h++) {
      const xh = xb + (<usize>h << 6);
      const i0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xh), inv)));
      const i1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xh, 16), inv)));
      const i2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xh, 32), inv)));
      const i3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(xh, 48), inv)));
      const w0 = i16x8.narrow_i32x4_s(i0, i1), w1 = i16x8.narrow_i32x4_s(i2, i3);
      const g16 = (b * block >> 4) + h; // index of this 16-element group in x
      if (wide) {
        v128.store(q + (<usize>g16 << 5), w0);
        v128.store(q + (<usize>g16 << 5), w1, 16);
      } else v128.store(q + (<usize>g16 << 4), i8x16.narrow_i16x8_s(w0, w1));
      const t = isum4(i32x4.add(i32x4.add(i0, i1), i32x4.add(i2, i3)));
      store<i32>(sums + (<usize>g16 << 2), t);
      if (h & 1) store<i16>(s32 + (<usize>(g16 >> 1) << 1), <i16>(prev + t));
      prev = t;
    }
  }
}

/**
 * Products of 16 signed x codes (|x| <= 127) with 16 signed weight codes, pairs summed into int16
 * lanes (<= 2 * 127 * 128: no overflow), widened to int32 after.
 */
// @ts-ignore: decorator
@inline function mul16s(xq: v128, w: v128): v128 {
  return i16x8.add(i16x8.extmul_low_i8x16_s(xq, w), i16x8.extmul_high_i8x16_s(xq, w));
}

/**
 * The same for weight codes in [0, 63] (Q4 nibbles, Q6 codes): one relaxed-SIMD i8 x i7 dot where
 * compiled in (exact: the codes have no top bit). Sums formed from it stay in int16: 4 products of
 * 4-bit codes (<= 4 * 127 * 15) or 2 of 6-bit codes (<= 2 * 127 * 63) per lane. (The int32 form,
 * i32x4.relaxed_dot_i8x16_i7x16_add_s, returned twice the dot product on Node 20 / V8 11.3, so it
 * is not used.)
 */
// @ts-ignore: decorator
@inline function mul16(xq: v128, w: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i16x8.relaxed_dot_i8x16_i7x16_s(xq, w);
  return mul16s(xq, w);
}

// @ts-ignore: decorator
@inline function widen(v: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_s(v);
}

/** The int32 lanes of sum_p w[p] x[p] over one Q8_0 block: 32 int8 weight codes at c, 32 int16 x codes at xw. */
// @ts-ignore: decorator
@inline function block8(c: usize, xw: usize): v128 {
  const w0 = v128.load(c), w1 = v128.load(c, 16);
  const a = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w0), v128.load(xw)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w0), v128.load(xw, 16)));
  const b = i32x4.add(i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(w1), v128.load(xw, 32)),
    i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(w1), v128.load(xw, 48)));
  return i32x4.add(a, b);
}

/** The half scales of four consecutive Q8_0 blocks from blk (34 bytes apart) as float lanes, times x's four scales at d. */
// @ts-ignore: decorator
@inline function scales4(blk: usize, d: usize): v128 {
  let h = v128.load16_lane(blk, i32x4.splat(0), 0); // the halves in the low 16 bits of each lane
  h = v128.load16_lane(blk + 34, h, 2);
  h = v128.load16_lane(blk + 68, h, 4);
  h = v128.load16_lane(blk + 102, h, 6);
  return f32x4.mul(half4(h), v128.load(d));
}

/**
 * A Q8_0 row against x rounded per 32 to int8 codes: products summed in int16 pairs, then int32.
 * Used above WIDE_K, where x widened to int16 (dotQ8_0q) measured slower (the down projection of
 * R1-Distill-Qwen-1.5B, k = 8960, timed alone against this kernel on the same weights).
 */
function dotQ8_0q8(w: usize, q: usize, d: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  for (let b = 0; b < k >> 5; b++) {
    const blk = w + <usize>b * 34, qb = q + (<usize>b << 5);
    const s = i32x4.add(widen(mul16s(v128.load(qb), v128.load(blk, 2))), widen(mul16s(v128.load(qb, 16), v128.load(blk, 18))));
    acc = fma(f32x4.splat(half(<u32>load<u16>(blk)) * load<f32>(d + (<usize>b << 2))), f32x4.convert_i32x4_s(s), acc);
  }
  return hsum(acc);
}

/**
 * A Q8_0 row against x rounded per 32 and widened to int16 (xw): each weight code widened and
 * multiplied in int16 pairs summed to int32 (one dot per 8), four blocks' half scales converted
 * together. Sums and their order are those of one block at a time.
 */
function dotQ8_0q(w: usize, xw: usize, d: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  const nb = k >> 5;
  let b = 0;
  for (; b + 4 <= nb; b += 4) {
    const blk = w + <usize>b * 34, xb = xw + (<usize>b << 6);
    const sc = scales4(blk, d + (<usize>b << 2));
    acc = fma(v128.shuffle<f32>(sc, sc, 0, 0, 0, 0), f32x4.convert_i32x4_s(block8(blk + 2, xb)), acc);
    acc = fma(v128.shuffle<f32>(sc, sc, 1, 1, 1, 1), f32x4.convert_i32x4_s(block8(blk + 36, xb + 64)), acc);
    acc = fma(v128.shuffle<f32>(sc, sc, 2, 2, 2, 2), f32x4.convert_i32x4_s(block8(blk + 70, xb + 128)), acc);
    acc = fma(v128.shuffle<f32>(sc, sc, 3, 3, 3, 3), f32x4.convert_i32x4_s(block8(blk + 104, xb + 192)), acc);
  }
  for (; b < nb; b++) {
    const blk = w + <usize>b * 34;
    const sc = half(<u32>load<u16>(blk)) * load<f32>(d + (<usize>b << 2));
    acc = fma(f32x4.splat(sc), f32x4.convert_i32x4_s(block8(blk + 2, xw + (<usize>b << 6))), acc);
  }
  return hsum(acc);
}

function dotQ4_0q(w: usize, q: usize, d: usize, sums: usize, k: i32): f32 {
  let acc = f32x4.splat(0);
  let corr: f32 = 0;
  const mask = i8x16.splat(15);
  for (let b = 0; b < k >> 5; b++) {
    const blk = w + <usize>b * 18, qb = q + (<usize>b << 5);
    const codes = v128.load(blk, 2);
    const s = widen(i16x8.add(mul16(v128.load(qb), v128.and(codes, mask)), mul16(v128.load(qb, 16), i8x16.shr_u(codes, 4))));
    const scale = half(<u32>load<u16>(blk)) * load<f32>(d + (<usize>b << 2));
    acc = fma(f32x4.splat(scale), f32x4.convert_i32x4_s(s), acc);
    const xsum: i32 = load<i32>(sums + (<usize>(2 * b) << 2)) + load<i32>(sums + (<usize>(2 * b + 1) << 2));
    corr += scale * (<f32>xsum * 8);
  }
  return hsum(acc) - corr;
}

/**
 * The 6-bit scales (mins = false) or mins (true) of the eight sub-blocks of the Q4_K block at blk as
 * int16 lanes 0-7. The twelve bytes at blk + 4 are unpacked word-wise (layout in
 * src/io/quant-blocks.ts): bytes 0-3 hold scales 0-3 and the top bits of scales 4-7, bytes 4-7
 * mins 0-3 and the top bits of mins 4-7, bytes 8-11 the low nibbles of scales and mins 4-7.
 */
// @ts-ignore: decorator
@inline function scalesK4(blk: usize, mins: bool): v128 {
  const own = mins ? load<u32>(blk, 8) : load<u32>(blk, 4), nib = load<u32>(blk, 12);
  const lo = own & 0x3f3f3f3f, hi = ((mins ? nib >> 4 : nib) & 0x0f0f0f0f) | (((own >> 6) & 0x03030303) << 4);
  return i16x8.extend_low_i8x16_u(i32x4.replace_lane(i32x4.splat(lo), 1, hi));
}

/** Lane l of v (int16) in every lane. */
// @ts-ignore: decorator
@inline function lane16(v: v128, l: i32): v128 {
  return l == 0 ? v128.shuffle<i16>(v, v, 0, 0, 0, 0, 0, 0, 0, 0) : l == 1 ? v128.shuffle<i16>(v, v, 1, 1, 1, 1, 1, 1, 1, 1)
    : l == 2 ? v128.shuffle<i16>(v, v, 2, 2, 2, 2, 2, 2, 2, 2) : l == 3 ? v128.shuffle<i16>(v, v, 3, 3, 3, 3, 3, 3, 3, 3)
    : l == 4 ? v128.shuffle<i16>(v, v, 4, 4, 4, 4, 4, 4, 4, 4) : l == 5 ? v128.shuffle<i16>(v, v, 5, 5, 5, 5, 5, 5, 5, 5)
    : l == 6 ? v128.shuffle<i16>(v, v, 6, 6, 6, 6, 6, 6, 6, 6) : v128.shuffle<i16>(v, v, 7, 7, 7, 7, 7, 7, 7, 7);
}

/**
 * One 64-element chunk c of a Q4_K block (32 code bytes at qp: low nibbles sub-block 2c, high
 * nibbles 2c + 1) against x's int8 codes x0..x3: int8 x 4-bit products in int16 pairs (at most
 * 4 * 127 * 15 per lane), weighted by the two sub-blocks' scales (sv) into int32 lanes.
 */
// @ts-ignore: decorator
@inline function chunkK4(qp: usize, x0: v128, x1: v128, x2: v128, x3: v128, sv: v128, c: i32): v128 {
  const mask = i8x16.splat(15), qa = v128.load(qp), qb = v128.load(qp, 16);
  const lo = i16x8.add(mul16(x0, v128.and(qa, mask)), mul16(x1, v128.and(qb, mask)));
  const hi = i16x8.add(mul16(x2, v128.and(i16x8.shr_u(qa, 4), mask)), mul16(x3, v128.and(i16x8.shr_u(qb, 4), mask)));
  return i32x4.add(i32x4.dot_i16x8_s(lo, lane16(sv, 2 * c)), i32x4.dot_i16x8_s(hi, lane16(sv, 2 * c + 1)));
}

/** The float value of one Q4_K block from its scaled integer sum and its mins' dot with x's 32-sums (x scale dx). */
// @ts-ignore: decorator
@inline function valueK4(blk: usize, isum: v128, s32: usize, dx: f32): f32 {
  const msum = isum4(i32x4.dot_i16x8_s(scalesK4(blk, true), v128.load(s32)));
  return half(<u32>load<u16>(blk)) * dx * <f32>isum4(isum) - half(<u32>load<u16>(blk, 2)) * dx * <f32>msum;
}

/**
 * A Q4_K row against x rounded per 256 (as llama.cpp's Q8_K): int8 x times 4-bit codes, weighted
 * by the 6-bit scales per 32 (chunkK4); the mins' correction is one int16 dot of the eight mins with
 * x's per-32 sums (s32).
 */
function dotQ4_Kq(w: usize, q: usize, d: usize, s32: usize, k: i32): f32 {
  let acc: f32 = 0;
  for (let b = 0; b < k >> 8; b++) {
    const blk = w + <usize>b * 144, xb = q + (<usize>b << 8), sv = scalesK4(blk, false);
    // the four chunks unrolled, so that each scale lane is a constant shuffle
    let isum = chunkK4(blk + 16, v128.load(xb), v128.load(xb, 16), v128.load(xb, 32), v128.load(xb, 48), sv, 0);
    isum = i32x4.add(isum, chunkK4(blk + 48, v128.load(xb, 64), v128.load(xb, 80), v128.load(xb, 96), v128.load(xb, 112), sv, 1));
    isum = i32x4.add(isum, chunkK4(blk + 80, v128.load(xb, 128), v128.load(xb, 144), v128.load(xb, 160), v128.load(xb, 176), sv, 2));
    isum = i32x4.add(isum, chunkK4(blk + 112, v128.load(xb, 192), v128.load(xb, 208), v128.load(xb, 224), v128.load(xb, 240), sv, 3));
    acc += valueK4(blk, isum, s32 + (<usize>b << 4), load<f32>(d + (<usize>b << 2)));
  }
  return acc;
}

/** Q6_K rows against x rounded per 256: integer sums weighted by the int8 scales per super-block. */
function dotQ6_Kq(w: usize, q: usize, d: usize, sums: usize, k: i32): f32 {
  let acc: f32 = 0;
  const mask = i8x16.splat(15), hi2 = i8x16.splat(0x30);
  for (let b = 0; b < k >> 8; b++) {
    const blk = w + <usize>b * 210, xb = q + (<usize>b << 8), sb = sums + (<usize>b << 6);
    let isum = i32x4.splat(0);
    let csum: i32 = 0;
    for (let h = 0; h < 2; h++) {
      const ql = blk + (<usize>h << 6), qh = blk + 128 + (<usize>h << 5);
      for (let lc = 0; lc < 2; lc++) {
        const hb = v128.load(qh + (<usize>lc << 4));
        const la = v128.load(ql + (<usize>lc << 4)), lb = v128.load(ql + 32 + (<usize>lc << 4));
        // the 6-bit codes of the four 16-element groups g = 0..3 (high bits 2g..2g+1 of qh moved to bits 4..5)
        const c0 = v128.or(v128.and(la, mask), v128.and(i8x16.shl(hb, 4), hi2));
        const c1 = v128.or(v128.and(lb, mask), v128.and(i8x16.shl(hb, 2), hi2));
        const c2 = v128.or(i8x16.shr_u(la, 4), v128.and(hb, hi2));
        const c3 = v128.or(i8x16.shr_u(lb, 4), v128.and(i8x16.shr_u(hb, 2), hi2));
        for (let g = 0; g < 4; g++) {
          const codes = g == 0 ? c0 : g == 1 ? c1 : g == 2 ? c2 : c3; // 0..63
          const i = (h << 3) + (g << 1) + lc; // 16-element group within the super-block
          const scale = <i32>load<i8>(blk + 192 + i);
          isum = i32x4.add(isum, i32x4.dot_i16x8_s(mul16(v128.load(xb + (<usize>i << 4)), codes), i16x8.splat(<i16>scale)));
          csum += scale * load<i32>(sb + (<usize>i << 2));
        }
      }
    }
    const total = isum4(isum) - 32 * csum;
    acc += half(<u32>load<u16>(blk, 208)) * load<f32>(d + (<usize>b << 2)) * <f32>total;
  }
  return acc;
}

/** x . row for a row of `type` at w (k elements). */
function dotRow(type: i32, w: usize, x: usize, k: i32): f32 {
  switch (type) {
    case F32: return dotF32(w, x, k);
    case F16: return dotHalf(w, x, k, false);
    case BF16: return dotHalf(w, x, k, true);
    case Q8_0: return dotQ8_0(w, x, k);
    case Q4_0: return dotQ4_0(w, x, k);
    case Q4_K: return dotQ4_K(w, x, k);
    case Q6_K: return dotQ6_K(w, x, k);
    default: return 0;
  }
}

/** Decodes one row of `type` (k elements) at w into float32 at out. */
function decodeRow(type: i32, w: usize, out: usize, k: i32): void {
  switch (type) {
    case F32: memory.copy(out, w, <usize>k << 2); return;
    case F16: case BF16: {
      for (let p = 0; p < k; p++) {
        const h = <u32>load<u16>(w + (<usize>p << 1));
        store<f32>(out + (<usize>p << 2), type == BF16 ? reinterpret<f32>(h << 16) : half(h));
      }
      return;
    }
    case Q8_0: {
      for (let b = 0; b < k >> 5; b++) {
        const blk = w + <usize>b * 34, d = half(<u32>load<u16>(blk)), o = out + (<usize>b << 7);
        for (let j = 0; j < 32; j++) store<f32>(o + (<usize>j << 2), d * <f32>load<i8>(blk + 2 + j));
      }
      return;
    }
    case Q4_0: {
      for (let b = 0; b < k >> 5; b++) {
        const blk = w + <usize>b * 18, d = half(<u32>load<u16>(blk)), o = out + (<usize>b << 7);
        for (let j = 0; j < 16; j++) {
          const q = <i32>load<u8>(blk + 2 + j);
          store<f32>(o + (<usize>j << 2), d * <f32>((q & 15) - 8));
          store<f32>(o + (<usize>(j + 16) << 2), d * <f32>((q >> 4) - 8));
        }
      }
      return;
    }
    case Q4_K: {
      for (let b = 0; b < k >> 8; b++) {
        const blk = w + <usize>b * 144, sc = blk + 4, o = out + (<usize>b << 10);
        const d = half(<u32>load<u16>(blk)), dmin = half(<u32>load<u16>(blk, 2));
        for (let s = 0; s < 8; s++) {
          let scv: u32, mv: u32;
          if (s < 4) { scv = load<u8>(sc + s) & 63; mv = load<u8>(sc + s + 4) & 63; }
          else {
            scv = (load<u8>(sc + s + 4) & 15) | ((load<u8>(sc + s - 4) >> 6) << 4);
            mv = (load<u8>(sc + s + 4) >> 4) | ((load<u8>(sc + s) >> 6) << 4);
          }
          const ds = d * <f32>scv, ms = dmin * <f32>mv, qp = blk + 16 + (<usize>(s >> 1) << 5);
          for (let l = 0; l < 32; l++) {
            const q = <u32>load<u8>(qp + l), v = s & 1 ? q >> 4 : q & 15;
            store<f32>(o + (<usize>(s * 32 + l) << 2), ds * <f32>v - ms);
          }
        }
      }
      return;
    }
    case Q6_K: {
      for (let b = 0; b < k >> 8; b++) {
        const blk = w + <usize>b * 210, o = out + (<usize>b << 10), d = half(<u32>load<u16>(blk, 208));
        for (let i = 0; i < 256; i++) {
          const h = i >> 7, g = (i >> 5) & 3, l = i & 31;
          const lo = <u32>load<u8>(blk + (h << 6) + l + ((g & 1) << 5)), hi = <u32>load<u8>(blk + 128 + (h << 5) + l);
          const q = <i32>((g < 2 ? lo & 15 : lo >> 4) | (((hi >> (2 * g)) & 3) << 4)) - 32;
          store<f32>(o + (<usize>i << 2), d * <f32>load<i8>(blk + 192 + (i >> 4)) * <f32>q);
        }
      }
      return;
    }
    default: return;
  }
}

/** y[m, n] = x[m, k] W^T (+ bias[n]) over this thread's share of the n rows. Args: 0 type, 1 m, 2 n, 3 k, 4 x, 5 w, 6 y, 7 bias (0: none). */
export function qmatmulJob(tid: i32, nt: i32): void {
  const m = argi(1), n = argi(2), y = argp(6), bias = argp(7);
  const n0 = rng(n, tid, nt, 4), n1 = rng(n, tid + 1, nt, 4);
  qmatmulRows(n0, n1, tid);
  if (bias == 0) return;
  for (let i = 0; i < m; i++)
    for (let j = n0; j < n1; j++) {
      const o = y + (<usize>(i * n + j) << 2);
      store<f32>(o, load<f32>(o) + load<f32>(bias + (<usize>j << 2)));
    }
}

function qmatmulRows(n0: i32, n1: i32, tid: i32): void {
  const type = argi(0), m = argi(1), n = argi(2), k = argi(3);
  const x = argp(4), w = argp(5), y = argp(6);
  const rb = <usize>rowBytes(type, k);
  const blockType = type == Q8_0 || type == Q4_0 || type == Q4_K || type == Q6_K;
  const wide = type == Q8_0 && k <= WIDE_K;
  if (blockType && m <= INT_M && m * k * (wide ? 2 : 1) <= XQ_MAX) {
    // rows of x rounded to integers; row i: codes at q + i k (int16 for Q8_0: q + 2 i k), scales at
    // d + i k / 8, 16-sums at sums + i k / 4, 32-sums at s32 + i k / 16 (bytes)
    const q = scratch(tid), d = q + <usize>XQ_MAX, sums = d + (<usize>XQ_MAX >> 3), s32 = sums + (<usize>XQ_MAX >> 2);
    const cb = wide ? 1 : 0; // log2 of the bytes per code
    for (let i = 0; i < m; i++)
      quantizeX(x + (<usize>(i * k) << 2), k, type == Q4_K || type == Q6_K ? 256 : 32, wide, q + (<usize>(i * k) << cb),
        d + (<usize>(i * k) >> 3), sums + (<usize>(i * k) >> 2), s32 + (<usize>(i * k) >> 4));
    for (let j = n0; j < n1; j++) {
      const row = w + <usize>j * rb;
      for (let i = 0; i < m; i++) {
        const qi = q + (<usize>(i * k) << cb), di = d + (<usize>(i * k) >> 3), si = sums + (<usize>(i * k) >> 2);
        const v = type == Q8_0 ? (wide ? dotQ8_0q(row, qi, di, k) : dotQ8_0q8(row, qi, di, k)) : type == Q4_0 ? dotQ4_0q(row, qi, di, si, k)
          : type == Q4_K ? dotQ4_Kq(row, qi, di, s32 + (<usize>(i * k) >> 4), k) : dotQ6_Kq(row, qi, di, si, k);
        store<f32>(y + (<usize>(i * n + j) << 2), v);
      }
    }
    return;
  }
  if (m == 1) {
    for (let j = n0; j < n1; j++) store<f32>(y + (<usize>j << 2), dotRow(type, w + <usize>j * rb, x, k));
    return;
  }
  const pa = scratch(tid), pb = pa + PACK_A_BYTES, tile = pb + PACK_B_BYTES, panel = pa + PANEL_OFFSET;
  const rows = max(1, min(64, PANEL_BYTES / (k << 2)));
  for (let j0 = n0; j0 < n1; j0 += rows) {
    const p = min(rows, n1 - j0);
    for (let r = 0; r < p; r++) decodeRow(type, w + <usize>(j0 + r) * rb, panel + (<usize>(r * k) << 2), k);
    const yj = y + (<usize>j0 << 2);
    if (m > PACKED_M) gemmRange(x, k, false, panel, k, true, yj, n, 0, m, 0, p, k, false, pa, pb, tile);
    else for (let i = 0; i < m; i += 4) smallRowsBT(x, k, panel, k, yj, n, i, min(4, m - i), 0, p, k, false);
  }
}

/** Rows idx[i] of W (type, k columns) decoded to out[i, k]: embedding lookups. Args: 0 type, 1 k, 2 w, 3 idx, 4 count, 5 out. */
export function qrowsJob(tid: i32, nt: i32): void {
  const type = argi(0), k = argi(1), w = argp(2), idx = argp(3), count = argi(4), out = argp(5);
  const i0 = rng(count, tid, nt, 1), i1 = rng(count, tid + 1, nt, 1), rb = <usize>rowBytes(type, k);
  for (let i = i0; i < i1; i++) decodeRow(type, w + <usize>load<i32>(at(idx, i)) * rb, at(out, i * k), k);
}
