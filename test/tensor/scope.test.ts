/** Memory lifetimes: scopes free what they made except results and kept tensors; views share storage. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { add, detach, Engine, exp, mul, reshape, slice, sum, transpose } from '../../src/tensor/index.js';

it('a scope frees its temporaries and moves its result to the enclosing scope', () => {
  const e = new Engine(createReferenceBackend());
  const base = e.liveBytes;
  const outer = e.scope(() => {
    const r = e.scope(() => {
      const a = e.ones([100]);
      const b = exp(a);
      return { result: add(a, b), n: 3 };
    });
    assert.equal(r.n, 3);
    assert.ok(!r.result.isDisposed);
    assert.equal(e.liveBytes - base, 448, 'only the 400-byte result (one 448-byte block) survives the inner scope');
    return sum(r.result).item();
  });
  assert.ok(Math.abs(outer - 100 * (1 + Math.E)) < 1e-3);
  assert.equal(e.liveBytes, base);
});

it('keep() survives the scope; dispose() frees; views share one storage', () => {
  const e = new Engine(createReferenceBackend());
  const base = e.liveBytes;
  const kept = e.scope(() => e.keep(e.ones([4, 4])));
  assert.ok(!kept.isDisposed);
  const before = e.liveBytes;
  const views = [reshape(kept, [16]), transpose(kept), slice(kept, 0, 1, 3)];
  assert.equal(e.liveBytes, before, 'views allocate no storage');
  kept.dispose();
  assert.equal(e.liveBytes, before, 'storage lives while a view does');
  for (const v of views) v.dispose();
  assert.equal(e.liveBytes, base);
});

it('an exception inside a scope still frees its tensors', () => {
  const e = new Engine(createReferenceBackend());
  const base = e.liveBytes;
  assert.throws(
    () =>
      e.scope(() => {
        e.ones([10]);
        throw new Error('boom');
      }),
    /boom/,
  );
  assert.equal(e.liveBytes, base);
});

it('noGrad records nothing; detach cuts the graph', () => {
  const e = new Engine(createReferenceBackend());
  e.scope(() => {
    const x = e.parameter([1, 2], [2]);
    assert.equal(e.noGrad(() => mul(x, 2)).node, null);
    const y = mul(detach(x), x);
    sum(y).backward();
    assert.deepEqual(Array.from(x.grad!.toArray()), [1, 2], 'only the non-detached factor contributes');
    x.grad!.dispose();
    x.dispose();
  });
});

it('gradients accumulate across backward calls into a reused leaf', () => {
  const e = new Engine(createReferenceBackend());
  e.scope(() => {
    const x = e.parameter([3], [1]);
    sum(mul(x, x)).backward();
    sum(mul(x, 4)).backward();
    assert.deepEqual(Array.from(x.grad!.toArray()), [10]);
    x.grad!.dispose();
    x.dispose();
  });
});
