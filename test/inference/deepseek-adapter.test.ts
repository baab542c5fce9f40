/**
 * DeepSeek-V3 behind the CausalLM seam, on a tiny seeded model: the scheduler's batched greedy
 * generation equals a direct prefill-then-step loop on the model, MTP speculation gives the same
 * tokens as plain decoding, rollbacks work, and freed slots leave no tensor memory behind.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { Engine, argmax, slice } from '../../src/tensor/index.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { DeepseekV3LM } from '../../src/inference/deepseek-adapter.js';
import { Scheduler } from '../../src/inference/scheduler.js';
import type { Generation } from '../../src/inference/generation.js';
import { disposeModel, maxAbsDiff, tinyModel } from '../models/fixtures.js';
import { mtpLosses } from '../../src/models/deepseek-v3/mtp.js';

const tokensOf = async (g: Generation) => {
  const out: number[] = [];
  for await (const t of g) out.push(t.token);
  return out;
};

/** Greedy continuation computed straight on the model (batch 1, prefill then one token a step). */
function direct(m: DeepseekV3, prompt: number[], n: number): number[] {
  const e = m.engine,
    cache = m.createCache(1, prompt.length + n);
  try {
    return e.noGrad(() => {
      const out: number[] = [];
      let ids = prompt;
      for (let i = 0; i < n; i++) {
        const next = e.scope(
          () =>
            (
              e.read(
                argmax(DeepseekV3.lastLogits(m.step(cache, e.tensor(ids, [1, ids.length], 'i32')).logits), 1),
              ) as Int32Array
            )[0]!,
        );
        out.push(next);
        ids = [next];
      }
      return out;
    });
  } finally {
    cache.dispose();
  }
}

const prompts = [[1, 2, 3], [4, 5, 6, 7, 8, 9, 10], [11], [12, 13]];
const lens = [12, 7, 15, 10];

test('batched greedy generation through the adapter equals the direct decode loop', async () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e);
  try {
    const lm = new DeepseekV3LM(m, { maxSlots: 3 });
    const before = e.liveBytes;
    const s = new Scheduler(lm, { prefillChunk: 4 });
    const got = await Promise.all(
      prompts.map((p, i) => tokensOf(s.submit(p, { temperature: 0, maxNewTokens: lens[i]! }))),
    );
    prompts.forEach((p, i) => assert.deepEqual(got[i], direct(m, p, lens[i]!), `prompt ${i}`));
    assert.equal(e.liveBytes, before, "every slot's cache was freed");
    assert.equal(lm.draft, undefined, 'no MTP module, no drafter');
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});

test('MTP speculation through the adapter gives the plain greedy tokens, with rollbacks', async () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e, { num_nextn_predict_layers: 1 });
  try {
    const plain = new Scheduler(new DeepseekV3LM(m, { mtp: false }));
    const specLM = new DeepseekV3LM(m);
    const spec = new Scheduler(specLM, { prefillChunk: 4 });
    const before = e.liveBytes;
    const a = await Promise.all(
      prompts.map((p, i) => tokensOf(plain.submit(p, { temperature: 0, maxNewTokens: lens[i]! }))),
    );
    const b = await Promise.all(
      prompts.map((p, i) => tokensOf(spec.submit(p, { temperature: 0, maxNewTokens: lens[i]! }))),
    );
    assert.deepEqual(b, a);
    prompts.forEach((p, i) => assert.deepEqual(a[i], direct(m, p, lens[i]!)));
    const { draftsProposed, draftsAccepted } = spec.stats;
    assert.ok(draftsProposed > 10, `drafts ${draftsProposed}`);
    assert.ok(draftsAccepted < draftsProposed, 'some drafts were rejected (rollbacks exercised)');
    assert.equal(e.liveBytes, before);
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});

test('adapter drafts equal the training-path MTP logits, also after a rollback', () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e, { num_nextn_predict_layers: 1 });
  try {
    const t = [3, 14, 15, 9, 26, 5];
    const L = m.config.num_hidden_layers,
      V = m.config.vocab_size;
    const want = e.noGrad(() =>
      e.scope(() => {
        const tokens = e.tensor(t, [1, 6], 'i32');
        const h1 = mtpLosses(m, m.forward(tokens).hidden, tokens).hiddens[0]!; // (1, 5, D): h_i with t_{i+1}
        return e.read(m.head(slice(h1, 1, 4, 5), `model.layers.${L}.shared_head.norm.weight`)) as Float32Array; // (1, 1, V)
      }),
    );
    const lm = new DeepseekV3LM(m);
    const a = lm.allocSlot(),
      b = lm.allocSlot();
    lm.forward([
      { slot: a, tokens: t.slice(0, 3), logits: 0 },
      { slot: b, tokens: [...t.slice(0, 5), 7], logits: 2 },
    ]);
    lm.forward([{ slot: a, tokens: t.slice(3, 5) }]);
    lm.truncate(b, 5); // drop the wrong last token
    const [da, db] = lm.draft!([a, b], [t[5]!, t[5]!]);
    assert.equal(da!.length, V);
    for (const d of [da!, db!]) assert.ok(maxAbsDiff(d, want) < 1e-4, `max diff ${maxAbsDiff(d, want)}`);
    lm.dispose();
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});
