/** AdamW against a hand-computed step, and global-norm clipping. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { AdamW, clipGradNorm, learningRate } from '../../src/nn/index.js';
import { Engine } from '../../src/tensor/index.js';

it('two AdamW steps match the formula (bias correction, decoupled decay)', () => {
  const e = new Engine(createReferenceBackend());
  const p = e.parameter([1, -2], [2]);
  const opt = new AdamW(new Map([['p', p]]), { lr: 0.1, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 });
  let w = [1, -2],
    m = [0, 0],
    v = [0, 0];
  for (const [step, g] of [
    [1, [0.5, -1]],
    [2, [0.2, 0.3]],
  ] as const) {
    p.grad = e.keep(e.tensor(g, [2]));
    opt.step();
    opt.zeroGrad();
    m = m.map((x, i) => 0.9 * x + 0.1 * g[i]!);
    v = v.map((x, i) => 0.95 * x + 0.05 * g[i]! ** 2);
    w = w.map(
      (x, i) =>
        x * (1 - 0.1 * 0.1) - (0.1 * (m[i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[i]! / (1 - 0.95 ** step)) + 1e-8),
    );
  }
  const got = p.toArray();
  w.forEach((x, i) => assert.ok(Math.abs(got[i]! - x) < 1e-6, `p[${i}] = ${got[i]} expected ${x}`));
});

it('clipGradNorm scales all gradients to the max norm and reports the old norm', () => {
  const e = new Engine(createReferenceBackend());
  const a = e.parameter([0, 0], [2]),
    b = e.parameter([0], [1]);
  a.grad = e.keep(e.tensor([3, 0], [2]));
  b.grad = e.keep(e.tensor([4], [1]));
  const norm = clipGradNorm([a, b], 1);
  assert.ok(Math.abs(norm - 5) < 1e-9);
  const ga = a.grad.toArray(),
    gb = b.grad.toArray();
  assert.ok(Math.abs(Math.hypot(ga[0]!, ga[1]!, gb[0]!) - 1) < 1e-5);
  assert.ok(Math.abs(ga[0]! / gb[0]! - 0.75) < 1e-6);
});

it('warmup-stable-decay schedule', () => {
  const o = { peak: 1, warmupSteps: 10, stableSteps: 10, totalSteps: 40, min: 0.1 };
  assert.equal(learningRate(0, o), 0.1);
  assert.equal(learningRate(9, o), 1);
  assert.equal(learningRate(15, o), 1);
  assert.ok(Math.abs(learningRate(30, o) - 0.55) < 1e-12);
  assert.ok(Math.abs(learningRate(40, o) - 0.1) < 1e-12);
});
