/**
 * Dense students: distillation SFT lowers the student's loss on teacher data (masked chat-style
 * sequences); the CausalLM adapter gives the logits of a full pass; the group sampler is
 * deterministic for a seed and greedy rows of a group agree.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { densePolicy } from '../../src/distill/dense-policy.js';
import { denseBatchLoss, parseDenseArgs, trainDense } from '../../src/distill/dense-train.js';
import { DenseLM } from '../../src/inference/dense-adapter.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { DenseModel, initDenseParams, parseDenseConfig } from '../../src/models/qwen2/index.js';
import { Engine, Rng, type Tensor } from '../../src/tensor/index.js';
import { SftSource } from '../../src/train/data.js';

const config = parseDenseConfig({
  model_type: 'qwen2',
  vocab_size: 40,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  tie_word_embeddings: true,
  initializer_range: 0.1,
}).config;

/** "Teacher data": a prompt (masked) then a reply that is a fixed function of the prompt. */
function teacherExamples(n: number, seed: number): { ids: number[]; mask: number[] }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const a = 2 + rng.int(10),
      b = 2 + rng.int(10);
    const prompt = [0, a, b, 30],
      reply = [20 + ((a + b) % 8), a, b, 1];
    return { ids: [...prompt, ...reply], mask: [...prompt.map(() => 0), ...reply.map(() => 1)] };
  });
}

describe('dense students', () => {
  let e: Engine;
  before(async () => {
    e = new Engine(await createWasmBackend({ threads: 1 }));
  });
  after(() => e.backend.dispose());
  const free = (ps: Map<string, Tensor>) => {
    for (const p of ps.values()) {
      p.grad?.dispose();
      p.dispose();
    }
  };

  it('distillation SFT lowers the loss on held-out teacher data', () => {
    const params = initDenseParams(e, config, new Rng(1));
    const model = new DenseModel(e, config, params);
    const held = new SftSource(teacherExamples(32, 99), 32, 4, 0).next();
    const before = denseBatchLoss(e, model, held);
    const r = trainDense(
      e,
      config,
      params,
      new SftSource(teacherExamples(200, 5), 32, 4, 0),
      parseDenseArgs({ max_steps: 60, learning_rate: 1e-2, warmup_steps: 5, logging_steps: 10 }, 'test'),
    );
    const afterLoss = denseBatchLoss(e, model, held);
    assert.equal(r.steps, 60);
    assert.ok(
      afterLoss < before - 1,
      `held-out loss ${before.toFixed(3)} -> ${afterLoss.toFixed(3)} did not drop by 1 nat`,
    );
    model.dispose();
    free(params);
  });

  it('the time budget ends a run early', () => {
    const params = initDenseParams(e, config, new Rng(1));
    const r = trainDense(e, config, params, new SftSource(teacherExamples(20, 5), 32, 4, 0), {
      ...parseDenseArgs({ max_steps: 10000 }, 'test'),
      time_budget_sec: 0.3,
    });
    assert.ok(r.steps < 10000 && r.steps >= 1, `${r.steps} steps`);
    free(params);
  });

  it('DenseLM gives the logits of a full pass, chunked prefill and truncate included', () => {
    const params = initDenseParams(e, config, new Rng(2));
    const model = new DenseModel(e, config, params),
      lm = new DenseLM(model, { maxSlots: 2 });
    const ids = [0, 5, 7, 9, 11, 13];
    const full = e.noGrad(() =>
      e.scope(() => e.read(model.forward(e.tensor(ids, [1, ids.length], 'i32'))) as Float32Array),
    );
    const V = config.vocab_size,
      s = lm.allocSlot();
    lm.forward([{ slot: s, tokens: ids.slice(0, 3) }]);
    lm.forward([{ slot: s, tokens: [99 % V] }]);
    lm.truncate(s, 3);
    const out = lm.forward([{ slot: s, tokens: ids.slice(3), logits: 3 }])[0]!;
    out.forEach((row, j) => {
      const want = full.subarray((3 + j) * V, (4 + j) * V);
      for (let v = 0; v < V; v++) assert.ok(Math.abs(row[v]! - want[v]!) < 1e-4, `position ${3 + j} token ${v}`);
    });
    assert.equal(lm.length(s), ids.length);
    lm.dispose();
    model.dispose();
    free(params);
  });

  it('group sampling on the engine is deterministic for a seed; greedy rows agree; stop tokens end rows', async () => {
    const params = initDenseParams(e, config, new Rng(3));
    const policy = densePolicy(e, config, params);
    const s = { temperature: 1, topP: 1, topK: 0, maxNewTokens: 12, stopTokens: [1] };
    const prompts = [
      [0, 4, 5],
      [0, 6],
    ];
    const a = await policy.sampleGroups(prompts, 3, s, new Rng(7)),
      b = await policy.sampleGroups(prompts, 3, s, new Rng(7));
    assert.deepEqual(a, b);
    for (const g of a)
      g.completions.forEach((c, i) => {
        assert.equal(g.finished[i], c.at(-1) === 1);
        assert.ok(c.length <= 12);
      });
    const g = (await policy.sampleGroups([[0, 4, 5]], 3, { ...s, temperature: 0 }, new Rng(1)))[0]!;
    assert.deepEqual(g.completions[1], g.completions[0]);
    policy.dispose();
    free(params);
  });
});
