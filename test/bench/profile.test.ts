// The kernel profiler of the benchmarks' --profile (src/bench/profile.ts): calls and time per kernel,
// and with `shapes` the compact-weight products kept apart by storage type and weight shape.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { profiledBackend } from '../../src/bench/profile.js';
import { createReferenceBackend } from '../../src/kernels/index.js';

function run(shapes: boolean) {
  const inner = createReferenceBackend();
  const p = profiledBackend(inner, { shapes });
  const be = p.backend;
  const base = Math.ceil(be.heapBase / 64) * 64;
  be.ensureMemory(base + 4096);
  const x = base,
    w = base + 256,
    y = base + 1024; // x [1, 4], w [n, 4] float32, y [1, n]
  be.f32().fill(0.5, x >> 2, (x >> 2) + 4);
  be.f32().fill(2, w >> 2, (w >> 2) + 12);
  be.quantMatmul({ type: 0, m: 1, n: 3, k: 4, x, w, y });
  be.quantMatmul({ type: 0, m: 1, n: 3, k: 4, x, w, y });
  be.quantMatmul({ type: 0, m: 1, n: 1, k: 4, x, w, y });
  assert.equal(be.f32()[y >> 2], 4); // 4 x 0.5 x 2: the call reached the backend
  return p.stats();
}

test('without shapes, every product counts under one kernel name', () => {
  const stats = run(false);
  assert.deepEqual(
    stats.map((s) => [s.kernel, s.calls]),
    [['quantMatmul', 3]],
  );
  assert.ok(stats[0]!.ms >= 0);
});

test('with shapes, products are grouped by type and weight shape', () => {
  const stats = run(true);
  assert.deepEqual(stats.map((s) => `${s.kernel}: ${s.calls}`).sort(), [
    'quantMatmul type 0 n=1 k=4: 1',
    'quantMatmul type 0 n=3 k=4: 2',
  ]);
});
