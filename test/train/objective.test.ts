/**
 * One training objective: what pretraining and SFT differentiate (Objective.losses) is
 * DeepseekV3.loss, the function check-reference verifies against DeepSeek's code and bench train
 * times. With MTP and the sequence-wise balance loss on, the MTP block's balance loss is part of
 * the loss and its expert loads feed the bias update (the two paths used to differ there); a loss
 * mask (SFT) restricts the targets and leaves MTP out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { Objective } from '../../src/train/objective.js';
import { tinyConfig } from '../models/fixtures.js';

test('Objective.losses is DeepseekV3.loss: same loss, MTP balance loss and MTP loads included', () => {
  const e = new Engine(createReferenceBackend());
  const config = tinyConfig({ num_nextn_predict_layers: 1 });
  const params = initParams(e, config, new Rng(4));
  const opts = { seqAuxAlpha: 0.01, mtpLambda: 0.3 };
  const objective = new Objective(e, config, params, { ...opts, auxLossAlpha: 0, precision: 'fp32' });
  const model = new DeepseekV3(e, config, params, { ...opts, maxLen: config.max_position_embeddings });
  const rng = new Rng(8),
    B = 2,
    T = 12;
  const tokens = Int32Array.from({ length: B * T }, () => rng.int(config.vocab_size));
  try {
    e.scope(() => {
      const trained = objective.losses({ batchSize: B, seqLen: T, tokens });
      const checked = model.loss(e.tensor(tokens, [B, T], 'i32'));
      assert.equal(trained.loss.item(), checked.loss.item());
      assert.ok(
        checked.mtpMoe.some((m) => m?.balanceLoss),
        'the MTP block has a balance loss',
      );
      let balance = 0;
      for (const m of [...checked.moe, ...checked.mtpMoe]) balance += m?.balanceLoss?.item() ?? 0;
      assert.ok(Math.abs(trained.balance!.item() - balance) < 1e-7, 'main and MTP balance losses');
      const mtpLayer = config.num_hidden_layers; // MTP module 1
      assert.ok(trained.loads.has(mtpLayer), `loads of layers ${[...trained.loads.keys()]}`);
      assert.equal(trained.targets, B * (T - 1));
      // SFT: a mask keeps the targets it names and leaves MTP out.
      const mask = Int32Array.from({ length: B * T }, (_, i) => (i % T >= T / 2 ? 1 : 0));
      const sft = objective.losses({ batchSize: B, seqLen: T, tokens, mask });
      assert.equal(sft.targets, B * (T / 2));
      assert.equal(sft.mtp, null);
      assert.ok(!sft.loads.has(mtpLayer));
    });
  } finally {
    objective.dispose();
    model.dispose();
    for (const p of params.values()) p.dispose();
    e.backend.dispose();
  }
});
