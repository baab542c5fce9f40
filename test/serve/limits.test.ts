/**
 * Load limits (issue 17, defect 6): the queue is bounded (429 with Retry-After past --max-queue, as
 * vLLM and OpenAI answer), a request that runs past its timeout ends and frees its slots, and a
 * streaming client that stops reading does not make the server buffer without bound.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { createHandler } from '../../src/serve/server.js';
import { MODEL_ID, startStack } from './fixture.js';

const messages = [{ role: 'user', content: 'What is 2 + 2?' }];

async function waitFor(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('past --max-queue sequences, a request gets 429 with Retry-After; n above the bound is a 400', async () => {
  const s = await startStack({ script: 'endless', maxContext: 100_000, serve: { maxQueue: 4 } });
  try {
    const ac = new AbortController();
    const busy = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
      body: JSON.stringify({ model: MODEL_ID, messages, stream: true, n: 3 }),
    });
    assert.equal(busy.status, 200);
    await waitFor(() => s.scheduler.active === 3, 'three running sequences');
    const over = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages, n: 2, max_tokens: 2 }),
    });
    assert.equal(over.status, 429);
    assert.match(over.headers.get('retry-after') ?? '', /^\d+$/);
    const body = (await over.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'queue_full');
    assert.match(body.error.message, /queue holds 3 of 4 sequences/);
    const client = new OpenAI({ baseURL: `${s.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(
      client.chat.completions.create({ model: MODEL_ID, messages: messages as any, n: 2, max_tokens: 2 }),
      (e: unknown) => e instanceof OpenAI.RateLimitError,
    );
    const never = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages, n: 5 }),
    });
    assert.equal(never.status, 400);
    assert.equal(((await never.json()) as { error: { param: string } }).error.param, 'n');
    const fits = await client.chat.completions.create({ model: MODEL_ID, messages: messages as any, max_tokens: 2 });
    assert.equal(fits.usage!.completion_tokens, 2);
    ac.abort();
    await waitFor(() => s.scheduler.active === 0, 'the aborted stream to leave');
  } finally {
    await s.server.close();
  }
});

test('a request past its timeout ends with 504 (or an error event when streaming) and frees its slots', async () => {
  const s = await startStack({ script: 'endless', maxContext: 1_000_000, serve: { requestTimeoutMs: 150 } });
  try {
    const r = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages }),
    });
    assert.equal(r.status, 504);
    const body = (await r.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'timeout');
    assert.match(body.error.message, /0\.15 s/);
    await waitFor(() => s.model.liveSlots === 0, 'slot freed');
    const st = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, messages, stream: true }),
    });
    const text = await st.text();
    assert.match(text, /"code":"timeout"/);
    assert.ok(text.endsWith('data: [DONE]\n\n'));
    await waitFor(() => s.model.liveSlots === 0, 'slot freed');
  } finally {
    await s.server.close();
  }
});

test('a streaming reader that stops reading does not grow the server-side buffer without bound', async () => {
  const s = await startStack({ script: 'endless', maxContext: 1_000_000 });
  await s.server.close(); // only its service is used, behind a server that exposes each response
  const responses: ServerResponse[] = [];
  const handler = createHandler(s.service, { modelId: MODEL_ID });
  const server = createServer((req, res) => {
    responses.push(res);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  try {
    const body = JSON.stringify({ model: MODEL_ID, messages, stream: true, logprobs: true, max_tokens: 40_000 });
    const req = request({
      port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    req.end(body);
    const res = await new Promise<import('node:http').IncomingMessage>((r) => req.on('response', r));
    res.pause(); // a slow reader: nothing more is read
    await waitFor(() => s.scheduler.stats.generatedTokens >= 39_000, 'the generation to run on', 60_000);
    await new Promise((r) => setTimeout(r, 50));
    const pending = responses[0]!.writableLength;
    assert.ok(pending < 256 * 1024, `${pending} bytes buffered in the response for a reader that stopped`);
    req.destroy();
    await waitFor(() => s.model.liveSlots === 0, 'slot freed after the disconnect');
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
