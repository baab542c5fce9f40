// Vector math on f32x4: FMA (relaxed-SIMD where compiled in, mul+add otherwise) and exp / log /
// tanh / sigmoid approximations after Cephes expf/logf/tanhf (about 1-2 ulp on normal inputs), with
// the IEEE special cases (inf, NaN, 0, negatives) selected explicitly. Scalars go through the same
// vector code (lane 0), so the tail of a loop rounds exactly like its body.

@inline export function fma(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function sp(x: f32): v128 { return f32x4.splat(x); }

export function vexp(x: v128): v128 {
  // pmin/pmax are single instructions and keep a NaN x (the comparison fails and x passes through)
  const xc = f32x4.pmax(f32x4.pmin(x, sp(88.8)), sp(-110.0));
  // round x*log2(e) to an integer with the 1.5*2^23 trick: t's low mantissa bits hold n
  const t = fma(xc, sp(1.44269504088896341), sp(12582912.0));
  const fx = f32x4.sub(t, sp(12582912.0));
  const n = i32x4.sub(t, i32x4.splat(0x4b400000));
  let r = fma(fx, sp(-0.693359375), xc);
  r = fma(fx, sp(2.12194440e-4), r);
  let y = sp(1.9875691500e-4);
  y = fma(y, r, sp(1.3981999507e-3));
  y = fma(y, r, sp(8.3334519073e-3));
  y = fma(y, r, sp(4.1665795894e-2));
  y = fma(y, r, sp(1.6666665459e-1));
  y = fma(y, r, sp(5.0000001201e-1));
  y = f32x4.add(fma(f32x4.mul(y, r), r, r), sp(1.0));
  // 2^n as 2^n1 * 2^n2 so that n in [-160, 128] never leaves the normal range of either factor
  const n1 = i32x4.shr_s(n, 1), n2 = i32x4.sub(n, n1);
  const res = f32x4.mul(f32x4.mul(y, i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23)),
    i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23));
  // above ln(FLT_MAX) the result is +inf
  return v128.bitselect(sp(Infinity), res, f32x4.gt(x, sp(88.72283905206835)));
}

export function vlog(x: v128): v128 {
  // subnormals: scale by 2^23 first and take 23 off the exponent
  const sub = v128.and(f32x4.lt(x, sp(1.17549435e-38)), f32x4.gt(x, sp(0)));
  const bits = v128.bitselect(f32x4.mul(x, sp(8388608.0)), x, sub);
  let e = f32x4.convert_i32x4_s(i32x4.sub(i32x4.shr_u(bits, 23), i32x4.splat(126)));
  e = f32x4.sub(e, v128.and(sub, sp(23.0)));
  let m = v128.or(v128.and(bits, i32x4.splat(0x807fffff)), i32x4.splat(0x3f000000));
  const small = f32x4.lt(m, sp(0.707106781186547524));
  e = f32x4.sub(e, v128.and(small, sp(1.0)));
  m = f32x4.sub(f32x4.add(m, v128.and(small, m)), sp(1.0));
  const z = f32x4.mul(m, m);
  let y = sp(7.0376836292e-2);
  y = f32x4.add(f32x4.mul(y, m), sp(-1.1514610310e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(1.1676998740e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(-1.2420140846e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(1.4249322787e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(-1.6668057665e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(2.0000714765e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(-2.4999993993e-1));
  y = f32x4.add(f32x4.mul(y, m), sp(3.3333331174e-1));
  y = f32x4.mul(f32x4.mul(y, m), z);
  y = f32x4.add(y, f32x4.mul(e, sp(-2.12194440e-4)));
  y = f32x4.sub(y, f32x4.mul(z, sp(0.5)));
  let r = f32x4.add(f32x4.add(m, y), f32x4.mul(e, sp(0.693359375)));
  r = v128.bitselect(sp(-Infinity), r, f32x4.eq(x, sp(0.0)));
  r = v128.bitselect(sp(Infinity), r, f32x4.eq(x, sp(Infinity)));
  // negatives and NaN give NaN
  return v128.bitselect(sp(NaN), r, v128.not(f32x4.ge(x, sp(0.0))));
}

export function vsigmoid(x: v128): v128 {
  return f32x4.div(sp(1.0), f32x4.add(sp(1.0), vexp(f32x4.neg(x))));
}

export function vtanh(x: v128): v128 {
  const ax = f32x4.abs(x);
  const z = f32x4.mul(x, x);
  let p = sp(-5.70498872745e-3);
  p = f32x4.add(f32x4.mul(p, z), sp(2.06390887954e-2));
  p = f32x4.add(f32x4.mul(p, z), sp(-5.37397155531e-2));
  p = f32x4.add(f32x4.mul(p, z), sp(1.33314422036e-1));
  p = f32x4.add(f32x4.mul(p, z), sp(-3.33332819422e-1));
  const small = f32x4.add(f32x4.mul(f32x4.mul(p, z), x), x);
  const big = f32x4.sub(sp(1.0), f32x4.div(sp(2.0), f32x4.add(vexp(f32x4.add(ax, ax)), sp(1.0))));
  const signed = v128.or(big, v128.and(x, i32x4.splat(0x80000000)));
  return v128.bitselect(small, signed, f32x4.lt(ax, sp(0.625)));
}

/** Lane 0 of f applied to a splat: the scalar tail of a vector loop. */
@inline export function lane0(v: v128): f32 { return f32x4.extract_lane(v, 0); }
