/**
 * A model whose weights hold NaN (issue 17, defect 1): the request whose step meets non-finite
 * logits ends with an error naming the model (a 500 over HTTP), the other requests of the batch
 * go on, nothing becomes an unhandled rejection, greedy decoding does not silently pick token 0,
 * and loading such a checkpoint warns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Scheduler } from '../../src/inference/scheduler.js';
import { argmax, NonFiniteLogitsError } from '../../src/inference/sampling.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { disposeParams, initParams, saveCheckpoint } from '../../src/models/deepseek-v3/checkpoint.js';
import { ChatService } from '../../src/serve/chat-service.js';
import { openChatModel } from '../../src/serve/load-model.js';
import { startServer } from '../../src/serve/server.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { MockLM } from '../inference/mock-lm.js';
import { tinyConfig } from '../models/fixtures.js';
import { makeTokenizer, MODEL_ID } from './fixture.js';

const POISON = 7;

/** Logits are NaN once the history holds token POISON; otherwise token 3 wins. */
function poisonedModel(vocabSize: number): MockLM {
  return new MockLM({
    vocabSize,
    maxContext: 256,
    maxSlots: 4,
    next: (h) => {
      const l = new Float32Array(vocabSize);
      if (h.includes(POISON)) l.fill(Number.NaN);
      else l[3] = 10;
      return l;
    },
  });
}

let unhandled: unknown[] = [];
process.on('unhandledRejection', (e) => unhandled.push(e));

async function drain(g: AsyncIterable<{ token: number }>): Promise<number[]> {
  const out: number[] = [];
  for await (const t of g) out.push(t.token);
  return out;
}

for (const temperature of [0.6, 0]) {
  test(`temperature ${temperature}: the poisoned request fails, the other finishes, nothing is unhandled`, async () => {
    unhandled = [];
    const s = new Scheduler(poisonedModel(32));
    const bad = s.submit([1, POISON], { temperature, maxNewTokens: 5 });
    const good = s.submit([1, 2], { temperature, maxNewTokens: 5 });
    await assert.rejects(drain(bad), (e: unknown) => e instanceof NonFiniteLogitsError && /NaN/.test(String(e)));
    assert.deepEqual(await drain(good), [3, 3, 3, 3, 3]);
    assert.equal(bad.finishReason, 'error');
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(unhandled, []);
    assert.equal(s.active, 0);
  });
}

test('argmax refuses NaN and +Inf logits instead of returning token 0', () => {
  assert.throws(() => argmax(Float32Array.from([Number.NaN, 1, 2])), NonFiniteLogitsError);
  assert.throws(() => argmax(Float32Array.from([0, Number.POSITIVE_INFINITY])), NonFiniteLogitsError);
  assert.equal(argmax(Float32Array.from([Number.NEGATIVE_INFINITY, 1, 2])), 2, '-Inf is a mask, not an error');
});

test('over HTTP: the poisoned request gets a 500 naming the model; the server keeps answering', async () => {
  unhandled = [];
  const tok = makeTokenizer();
  const model = poisonedModel(tok.vocabSize);
  const service = new ChatService(new Scheduler(model), tok, [tok.eosId!]);
  const server = await startServer(service, { modelId: MODEL_ID, port: 0 });
  try {
    const poisonText = tok.decode([POISON]);
    const send = (content: string) =>
      fetch(`${server.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content }], max_tokens: 4 }),
      });
    const [bad, good] = await Promise.all([send(`hi ${poisonText}`), send('hi')]);
    const badJson = (await bad.json()) as { error: { type: string; message: string } };
    assert.equal(bad.status, 500, JSON.stringify(badJson));
    assert.equal(badJson.error.type, 'server_error');
    assert.match(badJson.error.message, new RegExp(`model '${MODEL_ID}'.*non-finite`));
    assert.equal(good.status, 200);
    assert.equal((await send('hello')).status, 200);
    assert.deepEqual(unhandled, []);
  } finally {
    await server.close();
  }
});

test('loading a checkpoint whose weights hold NaN warns, naming the tensor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-nan-'));
  try {
    const t = trainTokenizer(['hello there', 'general kenobi'], { vocabSize: 300 });
    saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
    const config = tinyConfig({ vocab_size: 320, max_position_embeddings: 64 });
    const e = new Engine(createReferenceBackend());
    const params = initParams(e, config, new Rng(3));
    const w = params.get('model.norm.weight')!;
    e.backend.f32()[(w.ptr >>> 2) + 1] = Number.NaN;
    await saveCheckpoint(dir, config, params);
    disposeParams(params);
    e.backend.dispose();
    const m = await openChatModel(dir, { backend: 'reference' });
    try {
      assert.ok(
        m.warnings.some((x) => /model\.norm\.weight/.test(x) && /NaN/.test(x)),
        JSON.stringify(m.warnings),
      );
    } finally {
      m.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
