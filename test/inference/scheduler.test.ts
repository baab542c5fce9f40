/**
 * The generation engine against the mock model: greedy output equals the directly computed
 * continuation, stop tokens, max tokens, full context, seeds, logprobs, batched == one-at-a-time,
 * requests joining and leaving a running batch, cancellation freeing the slot at once, chunked
 * prefill, model errors, and MTP speculation giving the same tokens in fewer steps.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from '../../src/inference/scheduler.js';
import type { Generation } from '../../src/inference/generation.js';
import { logprobOf } from '../../src/inference/sampling.js';
import { MockLM, greedyReference, hashLogits, hashTokens } from './mock-lm.js';

const V = 50;
const next = hashLogits(V);
const mock = (over: Partial<ConstructorParameters<typeof MockLM>[0]> = {}) =>
  new MockLM({ vocabSize: V, maxContext: 256, maxSlots: 4, next, ...over });
const tokensOf = async (g: Generation) => {
  const out: number[] = [];
  for await (const t of g) out.push(t.token);
  return out;
};
const greedy = { temperature: 0 };

test('greedy output is the directly computed continuation; max tokens ends with length', async () => {
  const model = mock();
  const s = new Scheduler(model);
  const g = s.submit([1, 2, 3], { ...greedy, maxNewTokens: 20 });
  assert.deepEqual(await tokensOf(g), greedyReference(next, [1, 2, 3], 20));
  assert.equal(g.finishReason, 'length');
  assert.equal(g.completionTokens, 20);
  assert.equal(g.promptTokens, 3);
  assert.equal(model.liveSlots, 0);
});

test('a stop token ends generation with stop, is counted but not emitted', async () => {
  const ref = greedyReference(next, [5, 6], 30);
  const stop = ref[7]!;
  const cut = ref.indexOf(stop);
  const g = new Scheduler(mock()).submit([5, 6], { ...greedy, maxNewTokens: 30, stopTokens: [stop] });
  assert.deepEqual(await tokensOf(g), ref.slice(0, cut));
  assert.equal(g.finishReason, 'stop');
  assert.equal(g.completionTokens, cut + 1);
});

test('a full context ends generation with length; over-long prompts are refused', async () => {
  const model = mock({ maxContext: 10 });
  const s = new Scheduler(model);
  const g = s.submit([1, 2, 3, 4], { ...greedy, maxNewTokens: 100 });
  assert.equal((await tokensOf(g)).length, 6);
  assert.equal(g.finishReason, 'length');
  assert.throws(() => s.submit(Array(10).fill(1)), /prompt has 10 tokens; the context holds 10/);
  assert.throws(() => s.submit([]), /prompt is empty/);
  assert.throws(() => s.submit([1, V]), /prompt\[1\] = 50 is not a token id/);
});

test("same seed gives the same tokens whatever shares the batch; logprobs are the model's", async () => {
  const s = new Scheduler(mock());
  const p = { temperature: 1, topP: 1, seed: 42, maxNewTokens: 40, logprobs: true };
  const alone = await tokensOf(s.submit([9], p));
  const [a, b, c] = await Promise.all([
    tokensOf(s.submit([9], p)),
    tokensOf(s.submit([9], { ...p, seed: 43 })),
    tokensOf(s.submit([3, 3], p)),
  ]);
  assert.deepEqual(a, alone);
  assert.notDeepEqual(b, alone);
  assert.equal(c.length, 40);
  const history = [9];
  for await (const t of s.submit([9], p)) {
    assert.ok(Math.abs(t.logprob! - logprobOf(next(history), t.token)) < 1e-9);
    history.push(t.token);
  }
});

test('batched generation equals one-at-a-time generation token for token', async () => {
  const prompts = [[1], [2, 3, 4, 5, 6, 7], [8, 9], [10, 11, 12], [13], [14, 15, 16, 17]];
  const lens = [12, 5, 30, 17, 9, 22];
  const one = mock({ maxSlots: 1 });
  const solo: number[][] = [];
  for (let i = 0; i < prompts.length; i++)
    solo.push(await tokensOf(new Scheduler(one).submit(prompts[i]!, { ...greedy, maxNewTokens: lens[i]! })));
  const many = mock({ maxSlots: 4 });
  const s = new Scheduler(many);
  const batched = await Promise.all(
    prompts.map((p, i) => tokensOf(s.submit(p, { ...greedy, maxNewTokens: lens[i]! }))),
  );
  assert.deepEqual(batched, solo);
  solo.forEach((out, i) => assert.deepEqual(out, greedyReference(next, prompts[i]!, lens[i]!)));
  assert.equal(Math.max(...many.calls.map((c) => c.length)), 4, 'forward calls carried 4 rows');
  assert.ok(many.calls.length < one.calls.length / 2, `batched steps ${many.calls.length} vs ${one.calls.length}`);
  assert.equal(many.liveSlots, 0);
});

test('continuous batching: a request joins a running batch and the batch shrinks when one leaves', async () => {
  const model = mock();
  const s = new Scheduler(model);
  const a = s.submit([1], { ...greedy, maxNewTokens: 40 });
  const aTokens: number[] = [];
  let b: Generation | undefined;
  let bDone: Promise<number[]> | undefined;
  let aCountAtBJoin = -1;
  for await (const t of a) {
    aTokens.push(t.token);
    if (aTokens.length === 5) {
      b = s.submit([2, 2], { ...greedy, maxNewTokens: 10 });
      bDone = tokensOf(b);
      aCountAtBJoin = aTokens.length;
    }
  }
  assert.deepEqual(aTokens, greedyReference(next, [1], 40));
  assert.deepEqual(await bDone!, greedyReference(next, [2, 2], 10));
  assert.ok(aCountAtBJoin === 5);
  const widths = model.calls.map((c) => c.length);
  const firstPair = widths.indexOf(2);
  assert.ok(firstPair > 0 && firstPair <= 6, `B joined at step ${firstPair} (widths ${widths.join(',')})`);
  assert.equal(widths.filter((w) => w === 2).length, 10, 'B decoded alongside A for its 10 tokens');
  assert.equal(widths[widths.length - 1], 1, 'A finished alone');
  assert.equal(model.liveSlots, 0);
});

test('requests wait for a slot when all are taken, and all finish', async () => {
  const model = mock({ maxSlots: 2 });
  const s = new Scheduler(model);
  const outs = await Promise.all(
    [0, 1, 2, 3, 4].map((i) => tokensOf(s.submit([i + 1], { ...greedy, maxNewTokens: 6 + i }))),
  );
  outs.forEach((o, i) => assert.deepEqual(o, greedyReference(next, [i + 1], 6 + i)));
  assert.ok(model.calls.every((c) => c.length <= 2));
  assert.equal(s.active, 0);
});

test('cancelling (breaking out of the iteration) frees the slot at once; others continue', async () => {
  const model = mock();
  const s = new Scheduler(model);
  const other = tokensOf(s.submit([4], { ...greedy, maxNewTokens: 30 }));
  const g = s.submit([3], { ...greedy, maxNewTokens: 100 });
  let n = 0;
  for await (const _ of g) if (++n === 3) break;
  assert.equal(g.finishReason, 'cancelled');
  assert.equal(model.liveSlots, 1, 'only the other request holds a slot right after the break');
  assert.deepEqual(await other, greedyReference(next, [4], 30));
  const h = s.submit([3], { ...greedy, maxNewTokens: 100 });
  h.cancel();
  assert.deepEqual(await tokensOf(h), []);
  assert.equal(model.liveSlots, 0);
});

test('long prompts are prefilled in chunks with the same output', async () => {
  const prompt = Array.from({ length: 10 }, (_, i) => i + 1);
  const model = mock();
  const out = await tokensOf(new Scheduler(model, { prefillChunk: 4 }).submit(prompt, { ...greedy, maxNewTokens: 5 }));
  assert.deepEqual(out, greedyReference(next, prompt, 5));
  assert.deepEqual(
    model.calls.slice(0, 4).map((c) => c[0]),
    [4, 4, 2, 1],
  );
});

test('a model error fails the requests in that batch, frees their slots, and the scheduler goes on', async () => {
  const model = mock();
  const s = new Scheduler(model);
  model.failNext = new Error('boom');
  await assert.rejects(tokensOf(s.submit([1], greedy)), /boom/);
  assert.equal(model.liveSlots, 0);
  assert.deepEqual(await tokensOf(s.submit([1], { ...greedy, maxNewTokens: 3 })), greedyReference(next, [1], 3));
});

/** A drafter that knows the model but is wrong for one history in five (deterministically). */
const drafter = (history: readonly number[], t: number) => {
  const h = [...history, t];
  const l = next(h);
  if (hashTokens(h) % 5 === 0) {
    const wrong = new Float32Array(V);
    wrong[(hashTokens(h) + 7) % V] = 1;
    return wrong;
  }
  return l;
};

test('MTP speculation gives the same greedy and seeded tokens as plain decoding, in fewer steps', async () => {
  const prompts = [[1], [2, 3], [4, 5, 6], [7]];
  for (const params of [
    { ...greedy, maxNewTokens: 60 },
    { temperature: 0.8, topP: 0.95, seed: 5, maxNewTokens: 60 },
  ]) {
    const plainModel = mock({ maxContext: 40 }),
      specModel = mock({ maxContext: 40, draft: drafter });
    const plain = new Scheduler(plainModel),
      spec = new Scheduler(specModel);
    const a = await Promise.all(prompts.map((p) => tokensOf(plain.submit(p, params))));
    const b = await Promise.all(prompts.map((p) => tokensOf(spec.submit(p, params))));
    assert.deepEqual(b, a);
    assert.ok(spec.stats.draftsProposed > 0);
    assert.ok(spec.acceptanceRate > 0.5 && spec.acceptanceRate < 1, `acceptance ${spec.acceptanceRate}`);
    assert.ok(spec.stats.steps < plain.stats.steps * 0.8, `steps ${spec.stats.steps} vs ${plain.stats.steps}`);
    assert.equal(specModel.liveSlots, 0);
  }
  const off = new Scheduler(mock({ draft: drafter }), { speculative: false });
  await tokensOf(off.submit([1], { ...greedy, maxNewTokens: 10 }));
  assert.equal(off.stats.draftsProposed, 0);
});

test('vocabLimit keeps sampling below the tokenizer size (padded embeddings)', async () => {
  const s = new Scheduler(mock());
  const out = await tokensOf(s.submit([1], { temperature: 1, topP: 1, seed: 3, maxNewTokens: 200, vocabLimit: 10 }));
  assert.equal(out.length, 200);
  assert.ok(out.every((t) => t < 10));
  assert.ok(new Set(out).size > 3);
  assert.throws(() => s.submit([1], { vocabLimit: 0 }), /vocabLimit must be an integer >= 1/);
});
