/**
 * Group generation on the serving Scheduler ("prefill once, fork the slot n times"): a group's
 * generations equal the same requests submitted one by one (same seeds), for DeepSeek-V3 (with
 * and without MTP speculation on the forked slots) and a dense Qwen2 model; the prompt is fed to
 * the model once per group; a generation that stops on its first token or is cancelled before the
 * fork frees its slot, and no tensor memory is left behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CausalLM } from '../../src/inference/causal-lm.js';
import { DeepseekV3LM } from '../../src/inference/deepseek-adapter.js';
import { DenseLM } from '../../src/inference/dense-adapter.js';
import type { Generation } from '../../src/inference/generation.js';
import { Scheduler } from '../../src/inference/scheduler.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { DenseModel, initDenseParams, parseDenseConfig } from '../../src/models/qwen2/index.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { disposeModel, tinyModel } from '../models/fixtures.js';

const tokensOf = async (g: Generation) => {
  const out: number[] = [];
  for await (const t of g) out.push(t.token);
  return out;
};

/** Counts the tokens every forward call feeds. */
function countFed(lm: CausalLM): { tokens: number } {
  const fed = { tokens: 0 },
    forward = lm.forward.bind(lm);
  lm.forward = (rows) => {
    for (const r of rows) fed.tokens += r.tokens.length;
    return forward(rows);
  };
  return fed;
}

const prompt = [3, 1, 4, 1, 5, 9, 2];
const seeds = [11, 12, 13, 14];
const params = (seed: number) => ({ temperature: 1, topP: 1, maxNewTokens: 9, seed });

/** The group through submitGroup, and the same requests one by one on a fork-less view of the model. */
async function groupVsSingles(lm: CausalLM, opts: { speculative?: boolean } = {}) {
  const fed = countFed(lm);
  const s = new Scheduler(lm, { prefillChunk: 3, ...opts });
  const runs = s.submitGroup(
    prompt,
    seeds.map((seed) => params(seed)),
  );
  const group = await Promise.all(runs.map(tokensOf));
  const groupFed = fed.tokens;
  // The same model without fork: the scheduler prefills every request on its own.
  const plain = Object.create(lm, { fork: { value: undefined } }) as CausalLM;
  const singles = await Promise.all(
    seeds.map((seed) => tokensOf(new Scheduler(plain, { prefillChunk: 3, ...opts }).submit(prompt, params(seed)))),
  );
  const generated = runs.reduce((n, g) => n + g.completionTokens, 0);
  return { group, singles, groupFed, generated, stats: s.stats };
}

test('DeepSeek-V3: a group equals its requests one by one and feeds the prompt once', async () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e);
  try {
    const lm = new DeepseekV3LM(m, { maxSlots: 4 });
    const before = e.liveBytes;
    const r = await groupVsSingles(lm);
    assert.deepEqual(r.group, r.singles);
    assert.ok(new Set(r.group.map((t) => t.join(','))).size > 1, 'the seeds draw different completions');
    // The prompt once, then every generated token but each generation's last.
    assert.equal(r.groupFed, prompt.length + r.generated - seeds.length);
    assert.equal(e.liveBytes, before, "every slot's cache was freed");
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});

test('DeepSeek-V3 with MTP: speculation on forked slots gives the same tokens', async () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e, { num_nextn_predict_layers: 1 });
  try {
    const plain = await groupVsSingles(new DeepseekV3LM(m, { maxSlots: 4, mtp: false }));
    const lm = new DeepseekV3LM(m, { maxSlots: 4 });
    const before = e.liveBytes;
    const spec = await groupVsSingles(lm);
    assert.deepEqual(spec.group, plain.group);
    assert.deepEqual(spec.singles, plain.group);
    assert.ok(spec.stats.draftsProposed > 0, 'the forked slots drafted');
    assert.equal(e.liveBytes, before);
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});

test('dense Qwen2: a group equals its requests one by one', async () => {
  const e = new Engine(createReferenceBackend());
  const config = parseDenseConfig({
    model_type: 'qwen2',
    vocab_size: 24,
    hidden_size: 16,
    intermediate_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 32,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
  }).config;
  const p = initDenseParams(e, config, new Rng(5));
  const model = new DenseModel(e, config, p);
  try {
    const r = await groupVsSingles(new DenseLM(model, { maxSlots: 4 }));
    assert.deepEqual(r.group, r.singles);
    assert.equal(r.groupFed, prompt.length + r.generated - seeds.length);
  } finally {
    model.dispose();
    for (const t of p.values()) t.dispose();
    e.backend.dispose();
  }
});

test('a generation that stops at once or is cancelled before the fork frees its slot; too big a group is refused', async () => {
  const e = new Engine(createReferenceBackend());
  const m = tinyModel(e);
  try {
    const lm = new DeepseekV3LM(m, { maxSlots: 3 });
    const s = new Scheduler(lm);
    const greedyFirst = (await tokensOf(new Scheduler(lm).submit(prompt, { temperature: 0, maxNewTokens: 1 })))[0]!;
    const [a, b, c] = s.submitGroup(prompt, [
      { temperature: 0, maxNewTokens: 4, stopTokens: [greedyFirst] },
      { temperature: 0, maxNewTokens: 4 },
      { temperature: 0, maxNewTokens: 4 },
    ]) as [Generation, Generation, Generation];
    c.cancel();
    const [ta, tb] = await Promise.all([tokensOf(a), tokensOf(b)]);
    assert.deepEqual([ta, a.finishReason, a.stopToken], [[], 'stop', greedyFirst]);
    assert.equal(tb.length, 4);
    assert.equal(c.finishReason, 'cancelled');
    assert.equal(s.active, 0);
    assert.throws(() => s.submitGroup(prompt, [{}, {}, {}, {}]), /a group of 4 does not fit in one batch of at most 3/);
  } finally {
    disposeModel(m);
    e.backend.dispose();
  }
});
