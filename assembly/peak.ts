// The FP32 peak of this runtime's WASM SIMD, measured rather than assumed: twelve independent f32x4
// multiply-add chains (enough to cover the FMA latency on two FMA ports) with no memory traffic, so
// the loop runs at the SIMD arithmetic ceiling. Built on its own (not part of the kernels), as
// peak-relaxed.wasm (f32x4.relaxed_madd: one FMA per lane) and peak-simd.wasm (mul + add), the
// same two flavours as the kernels. src/bench/peak.ts runs it on 1 and 2 threads; MFU and the GEMM
// peak_ratio divide by that figure. Native 8-lane AVX2 code can reach up to twice this ceiling.

/** FLOPs of one loop iteration: 12 chains x 4 lanes x (multiply + add). */
export const FLOPS_PER_ITER: i32 = 96;

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

/** Runs `iters` iterations; returns a lane sum so that the work cannot be dropped. */
export function fmaLoop(iters: i32, seed: f32): f32 {
  const m = f32x4.splat(0.99999994);
  const c = f32x4.splat(1.0e-7);
  let a0 = f32x4.splat(seed), a1 = f32x4.splat(seed + 1), a2 = f32x4.splat(seed + 2);
  let a3 = f32x4.splat(seed + 3), a4 = f32x4.splat(seed + 4), a5 = f32x4.splat(seed + 5);
  let a6 = f32x4.splat(seed + 6), a7 = f32x4.splat(seed + 7), a8 = f32x4.splat(seed + 8);
  let a9 = f32x4.splat(seed + 9), a10 = f32x4.splat(seed + 10), a11 = f32x4.splat(seed + 11);
  for (let i = 0; i < iters; i++) {
    a0 = madd(a0, m, c); a1 = madd(a1, m, c); a2 = madd(a2, m, c); a3 = madd(a3, m, c);
    a4 = madd(a4, m, c); a5 = madd(a5, m, c); a6 = madd(a6, m, c); a7 = madd(a7, m, c);
    a8 = madd(a8, m, c); a9 = madd(a9, m, c); a10 = madd(a10, m, c); a11 = madd(a11, m, c);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7))),
    f32x4.add(f32x4.add(a8, a9), f32x4.add(a10, a11)),
  );
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
