/** SFT: the packer keeps the loss mask with its tokens, and the loss counts assistant tokens only. */
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { crossEntropy, Engine, Rng, slice } from '../../src/tensor/index.js';
import { SftSource } from '../../src/train/data.js';
import { Objective } from '../../src/train/objective.js';
import { microConfig } from './fixtures.js';

describe('SFT', () => {
  let engine: Engine;
  before(async () => {
    engine = new Engine(await createWasmBackend({ threads: 1 }));
  });
  after(() => engine.backend.dispose());

  // Two "conversations": prompt tokens (mask 0) then reply tokens (mask 1).
  const examples = [
    { ids: [0, 10, 11, 12, 3, 20, 21, 1], mask: [0, 0, 0, 0, 0, 1, 1, 1] },
    { ids: [0, 13, 14, 3, 22, 23, 24, 25, 1], mask: [0, 0, 0, 0, 1, 1, 1, 1, 1] },
  ];

  it('packs records back to back with their masks and resumes from its state', () => {
    const a = new SftSource(examples, 6, 2, 1);
    const b1 = a.next(),
      st = a.state(),
      b2 = a.next();
    const stream: [number, number][] = [];
    for (let i = 0; i < 12; i++) stream.push([b1.tokens[i]!, b1.mask![i]!]);
    const byId = new Map(examples.flatMap((e) => e.ids.map((id, i) => [id, e.mask[i]!] as [number, number])));
    for (const [id, m] of stream) if (id !== 0 && id !== 1) assert.equal(m, byId.get(id), `token ${id} keeps its mask`);
    const again = new SftSource(examples, 6, 2, 1, st).next();
    assert.deepEqual(again.tokens, b2.tokens);
    assert.deepEqual(again.mask, b2.mask);
  });

  it('the loss is the cross-entropy over assistant targets only (prompt tokens masked)', () => {
    const config = microConfig({ num_nextn_predict_layers: 1 });
    const params = initParams(engine, config, new Rng(3));
    const obj = new Objective(engine, config, params, {
      seqAuxAlpha: 0,
      auxLossAlpha: 0,
      mtpLambda: 0.3,
      precision: 'fp32',
    });
    const ex = examples[1]!,
      T = ex.ids.length;
    const batch = { batchSize: 1, seqLen: T, tokens: Int32Array.from(ex.ids), mask: Int32Array.from(ex.mask) };
    engine.scope(() => {
      const out = obj.losses(batch);
      assert.equal(out.targets, 5, 'five assistant targets');
      assert.equal(out.mtp, null, 'MTP is off for masked (SFT) batches');
      const logits = obj.model.forward(engine.tensor(batch.tokens, [1, T], 'i32')).logits;
      const tgt = engine.tensor(
        ex.ids.slice(1).map((id, i) => (ex.mask[i + 1] ? id : -100)),
        [1, T - 1],
        'i32',
      );
      const manual = crossEntropy(slice(logits, 1, 0, T - 1), tgt).item();
      assert.ok(Math.abs(out.lm.item() - manual) < 1e-6, `${out.lm.item()} vs ${manual}`);
      const all = obj.losses({ ...batch, mask: undefined }).lm.item();
      assert.notEqual(all, out.lm.item(), 'masking changes the loss');
    });
    obj.dispose();
    for (const p of params.values()) p.dispose();
  });
});
