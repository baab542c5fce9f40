/**
 * End-to-end engine checks on a small MLP: it overfits a fixed batch (learning), and 50 training
 * steps leave the live-bytes count unchanged (no leak), on every backend.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { AdamW, clipGradNorm, linear } from '../../src/nn/index.js';
import { crossEntropy, Rng, silu, type Engine, type Tensor } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';

function mlp(engine: Engine, seed: number) {
  const rng = new Rng(seed);
  const params = new Map<string, Tensor>([
    ['w1', engine.keep(rng.normalTensor(engine, [32, 8], 0, 0.3))],
    ['w2', engine.keep(rng.normalTensor(engine, [4, 32], 0, 0.3))],
  ]);
  for (const p of params.values()) p.requiresGrad = true;
  const x = engine.keep(rng.normalTensor(engine, [16, 8]));
  const y = engine.keep(
    engine.tensor(
      Array.from({ length: 16 }, (_, i) => (i * 5) % 4),
      [16],
      'i32',
    ),
  );
  const step = (opt: AdamW): number => {
    const loss = engine.scope(() => {
      const logits = linear(silu(linear(x, params.get('w1')!)), params.get('w2')!); // (16, 32) -> (16, 4)
      const l = crossEntropy(logits, y);
      l.backward();
      return l.item();
    });
    clipGradNorm(params.values(), 1.0);
    opt.step();
    opt.zeroGrad();
    return loss;
  };
  const dispose = () => {
    for (const t of [...params.values(), x, y]) t.dispose();
  };
  return { params, step, dispose };
}

forEachBackend((_name, engine) => {
  it('a 2-layer MLP overfits a fixed batch below loss 0.05', () => {
    const e = engine();
    const m = mlp(e, 7);
    const opt = new AdamW(m.params, { lr: 0.03, weightDecay: 0 });
    const first = m.step(opt);
    let last = first;
    for (let i = 0; i < 199; i++) last = m.step(opt);
    assert.ok(first > 1.0, `initial loss ${first} should be near ln 4`);
    assert.ok(last < 0.05, `loss after 200 steps is ${last}, expected < 0.05`);
    opt.dispose();
    m.dispose();
  });

  it('50 training steps leave live bytes unchanged', () => {
    const e = engine();
    const before = e.liveBytes;
    const m = mlp(e, 3);
    const opt = new AdamW(m.params, { lr: 0.01 });
    m.step(opt);
    const afterFirst = e.liveBytes;
    for (let i = 0; i < 50; i++) m.step(opt);
    assert.equal(e.liveBytes, afterFirst, 'live bytes grew during training steps');
    opt.dispose();
    m.dispose();
    assert.equal(e.liveBytes, before, 'freeing the model and optimizer did not return every byte');
  });
});
