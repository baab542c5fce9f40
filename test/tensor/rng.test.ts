/** The seeded RNG: same seed same bits, state round trip, sane distributions. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Rng } from '../../src/tensor/index.js';

it('same seed gives the same stream; different seeds differ', () => {
  const a = new Rng(42),
    b = new Rng(42),
    c = new Rng(43);
  const xa = Array.from({ length: 100 }, () => a.nextU32());
  assert.deepEqual(
    xa,
    Array.from({ length: 100 }, () => b.nextU32()),
  );
  assert.notDeepEqual(
    xa,
    Array.from({ length: 100 }, () => c.nextU32()),
  );
});

it('state() / fromState() resume the exact stream', () => {
  const a = new Rng(9);
  for (let i = 0; i < 10; i++) a.normal();
  const b = Rng.fromState(a.state());
  assert.deepEqual(
    Array.from({ length: 20 }, () => a.uniform()),
    Array.from({ length: 20 }, () => b.uniform()),
  );
});

it('normal has mean ~0 and std ~1; categorical follows its weights', () => {
  const r = new Rng(1),
    n = 20000;
  let s = 0,
    ss = 0;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    ss += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`);
  assert.ok(Math.abs(Math.sqrt(ss / n) - 1) < 0.03, `std ${Math.sqrt(ss / n)}`);
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) counts[r.categorical([1, 0, 3])]!++;
  assert.equal(counts[1], 0);
  assert.ok(Math.abs(counts[2]! / n - 0.75) < 0.02, `share ${counts[2]! / n}`);
});
