/**
 * FP8 simulation: the E4M3 rounding is exact against the table of all 256 codes (every code maps to
 * itself, midpoints round to the even code, out-of-range saturates), tiles get their own scales, and
 * an FP8 GEMM lands within E4M3's expected error of the FP32 one, forward and backward.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { fakeQuantize, fp8Linear, linear, roundE4M3 } from '../../src/nn/index.js';
import { Engine, Rng, sum, mul } from '../../src/tensor/index.js';

/** All finite non-negative E4M3 values from their bit fields, ascending (independent of src/io). */
function e4m3Values(): number[] {
  const v: number[] = [];
  for (let code = 0; code < 0x7f; code++) {
    const exp = code >> 3,
      man = code & 7;
    v.push(exp === 0 ? man * 2 ** -9 : (1 + man / 8) * 2 ** (exp - 7));
  }
  return v;
}

it('roundE4M3 is exact on every code, ties to even between codes, saturates', () => {
  const vals = e4m3Values();
  assert.equal(vals.length, 127);
  assert.equal(vals[126], 448);
  for (const v of vals) {
    assert.equal(roundE4M3(v), v);
    assert.equal(roundE4M3(-v), -v);
  }
  for (let i = 0; i + 1 < vals.length; i++) {
    const lo = vals[i]!,
      hi = vals[i + 1]!,
      mid = (lo + hi) / 2;
    const evenIsLo = i % 2 === 0; // codes alternate even/odd mantissa along the ordered list
    assert.equal(roundE4M3(mid), evenIsLo ? lo : hi, `midpoint of ${lo} and ${hi}`);
    assert.equal(roundE4M3(lo + (hi - lo) * 0.49), lo);
    assert.equal(roundE4M3(lo + (hi - lo) * 0.51), hi);
  }
  assert.equal(roundE4M3(500), 448);
  assert.equal(roundE4M3(-1e9), -448);
  assert.ok(Number.isNaN(roundE4M3(NaN)));
});

it('fakeQuantize scales each tile by its own amax / 448', () => {
  const data = new Float32Array([1000, 1, 0.001, 0.0007]); // two 1x2 tiles with very different ranges
  fakeQuantize(data, 1, 4, 1, 2);
  assert.equal(data[0], 1000, 'the tile max maps to 448 exactly');
  assert.ok(Math.abs(data[1]! - 1) > 1e-3, 'a value 1000x below its tile max loses precision');
  assert.ok(Math.abs(data[2]! - 0.001) < 1e-9);
  assert.ok(Math.abs(data[3]! - 0.0007) / 0.0007 < 0.07);
});

it('an FP8 GEMM is within E4M3 error of FP32, forward and backward', () => {
  const e = new Engine(createReferenceBackend());
  const rng = new Rng(5);
  e.scope(() => {
    const x = rng.normalTensor(e, [2, 5, 160]);
    x.requiresGrad = true; // K = 160 spans two tiles
    const w = rng.normalTensor(e, [140, 160], 0, 0.1);
    w.requiresGrad = true;
    const gw = rng.normalTensor(e, [2, 5, 140]);
    const relErr = (a: Float32Array | Int32Array, b: Float32Array | Int32Array) => {
      let num = 0,
        den = 0;
      for (let i = 0; i < a.length; i++) {
        num += (a[i]! - b[i]!) ** 2;
        den += b[i]! ** 2;
      }
      return Math.sqrt(num / den);
    };
    const run = (f: typeof linear) => {
      const y = f(x, w);
      sum(mul(y, gw)).backward();
      const r = { y: y.toArray(), dx: x.grad!.toArray(), dw: w.grad!.toArray() };
      x.grad!.dispose();
      w.grad!.dispose();
      x.grad = null;
      w.grad = null;
      return r;
    };
    const ref = run(linear),
      q = run(fp8Linear);
    for (const k of ['y', 'dx', 'dw'] as const) {
      const err = relErr(q[k], ref[k]);
      assert.ok(err > 1e-4 && err < 0.06, `${k}: relative error ${err} outside (1e-4, 0.06)`);
    }
  });
});
