/**
 * End to end with the official `openai` client against a real R1-layout checkpoint (a tiny
 * DeepSeek-V3 folder written here, served by openChatModel + startServer): the error cases a
 * client meets come back as the client's typed errors with OpenAI's codes, a 400,000-character
 * message included (400 context_length_exceeded), and the server answers normally afterwards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { disposeParams, initParams, saveCheckpoint } from '../../src/models/deepseek-v3/checkpoint.js';
import { type ChatModel, openChatModel } from '../../src/serve/load-model.js';
import { type RunningServer, startServer } from '../../src/serve/server.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { tinyConfig } from '../models/fixtures.js';
import { ANSWER, THINKING } from './fixture.js';

let dir: string, model: ChatModel, server: RunningServer, client: OpenAI;
const user = (content: string) => [{ role: 'user' as const, content }];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-openai-e2e-'));
  const t = trainTokenizer([THINKING, ANSWER, 'Hello there'], { vocabSize: 300 });
  saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
  const config = tinyConfig({ vocab_size: 320, max_position_embeddings: 96 });
  const e = new Engine(createReferenceBackend());
  const params = initParams(e, config, new Rng(3));
  await saveCheckpoint(dir, config, params);
  disposeParams(params);
  e.backend.dispose();
  model = await openChatModel(dir, { backend: 'reference', maxSlots: 2 });
  server = await startServer(model.service, { modelId: 'tiny-r1', port: 0, apiKey: 'k', maxQueue: 2 });
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'k', maxRetries: 0 });
});
after(async () => {
  await server.close();
  model.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('a 400,000-character message: 400 context_length_exceeded on the R1 layout', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'tiny-r1', messages: user('Hello there. '.repeat(400_000 / 13)) }),
    (e: unknown) =>
      e instanceof OpenAI.BadRequestError &&
      e.code === 'context_length_exceeded' &&
      e.param === 'messages' &&
      /maximum context length is 96 tokens/.test(e.message),
  );
});

test('bad fields, unknown model, wrong key, oversized n, legacy prompt over the context: typed errors', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'tiny-r1', messages: user('hi'), temperature: 5 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'temperature',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: user('hi') }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'model_not_found',
  );
  await assert.rejects(
    new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'wrong', maxRetries: 0 }).models.list(),
    (e: unknown) => e instanceof OpenAI.AuthenticationError && e.code === 'invalid_api_key',
  );
  await assert.rejects(
    client.chat.completions.create({ model: 'tiny-r1', messages: user('hi'), n: 3 }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.param === 'n',
  );
  await assert.rejects(
    client.completions.create({ model: 'tiny-r1', prompt: 'Hello there '.repeat(100) }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && e.code === 'context_length_exceeded',
  );
  await assert.rejects(client.models.retrieve('nope'), (e: unknown) => e instanceof OpenAI.NotFoundError);
});

test('after all of it the server still answers', async () => {
  // Greedy, so the answer is the same on every run: an unseeded sample of random weights can draw
  // the stop token before max_tokens (CI saw 3 of 4 once).
  const r = await client.chat.completions.create({
    model: 'tiny-r1',
    messages: user('Hello'),
    max_tokens: 4,
    temperature: 0,
  });
  assert.equal(r.choices[0]!.finish_reason, 'length');
  assert.equal(r.usage!.completion_tokens, 4);
  assert.equal((await client.models.retrieve('tiny-r1')).id, 'tiny-r1');
});
