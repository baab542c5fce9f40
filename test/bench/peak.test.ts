/**
 * The peak probe (assembly/peak.ts via src/bench/peak.ts) computes the multiply-add chains it claims
 * (checked against the same recurrence in float32 here, in both builds), and measurePeak reports a
 * finite aggregate figure for 1 and 2 threads. No speed is asserted: speeds live in benchmarks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compilePeakProbe, measurePeak } from '../../src/bench/peak.js';

/** The probe's recurrence in float32: 12 chains a_j = a_j * m + c (fused: one rounding), summed. */
function reference(iters: number, seed: number, fused: boolean): number {
  const f = Math.fround,
    m = f(0.99999994),
    c = f(1e-7);
  let sum = 0;
  for (let j = 0; j < 12; j++) {
    let a = f(seed + j);
    for (let i = 0; i < iters; i++) a = fused ? f(a * m + c) : f(f(a * m) + c);
    sum += 4 * a;
  }
  return sum;
}

for (const simd of ['relaxed', 'plain'] as const) {
  test(`the ${simd} probe runs 12 x 4 lanes of multiply-add per iteration`, () => {
    const probe = compilePeakProbe(simd);
    assert.equal(probe.simd, simd);
    const ex = new WebAssembly.Instance(probe.module, {}).exports as {
      fmaLoop(iters: number, seed: number): number;
      FLOPS_PER_ITER: WebAssembly.Global;
    };
    assert.equal(ex.FLOPS_PER_ITER.value, 96);
    for (const iters of [0, 1, 1000]) {
      // relaxed_madd may fuse or not (the spec lets the runtime choose); either rounding passes.
      const got = ex.fmaLoop(iters, 2);
      const want = [reference(iters, 2, true), reference(iters, 2, false)].reduce((p, q) =>
        Math.abs(q - got) < Math.abs(p - got) ? q : p,
      );
      assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want), `${iters} iterations: ${got} vs ${want}`);
    }
  });
}

test('measurePeak reports a finite figure per thread count', async () => {
  for (const threads of [1, 2]) {
    const r = await measurePeak(threads, { rounds: 1, roundSeconds: 0.02 });
    assert.equal(r.threads, threads);
    assert.ok(Number.isFinite(r.gflops) && r.gflops > 0, `${threads} threads: ${r.gflops}`);
  }
  await assert.rejects(measurePeak(0), /threads must be >= 1/);
});
