/**
 * Bad requests: each gets its HTTP status and OpenAI's error body, and none of them disturbs the
 * server (a good request afterwards still works). Also: the API key, and a client that disconnects
 * mid-stream freeing its slot.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { R1_ZERO_CHAT_TEMPLATE } from '../../src/tokenizer/chat.js';
import { MODEL_ID, makeTokenizer, startStack } from './fixture.js';

const stack = await startStack({ maxContext: 64, serve: { maxBodyBytes: 4096 } });
after(() => stack.server.close());
const url = `${stack.server.url}/v1/chat/completions`;
const good = { model: MODEL_ID, messages: [{ role: 'user', content: 'What is 2 + 2?' }], max_tokens: 3 };

async function post(
  body: string | object,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, json: await r.json() };
}

function assertError(
  r: { status: number; json: any },
  status: number,
  code: string | null,
  param: string | null,
  message: RegExp,
): void {
  assert.equal(r.status, status, JSON.stringify(r.json));
  assert.deepEqual(Object.keys(r.json), ['error']);
  assert.deepEqual(Object.keys(r.json.error).sort(), ['code', 'message', 'param', 'type']);
  assert.equal(r.json.error.type, 'invalid_request_error');
  assert.equal(r.json.error.code, code);
  assert.equal(r.json.error.param, param);
  assert.match(r.json.error.message, message);
}

test('malformed JSON, wrong types, unknown fields, unknown model, empty messages: 400', async () => {
  assertError(
    await post('{"model": "mock-r1", "messages": ['),
    400,
    'invalid_json',
    null,
    /could not parse the JSON body/,
  );
  assertError(await post('[1, 2]'), 400, 'invalid_value', null, /Invalid value for 'body': .*expected object/);
  assertError(await post({ ...good, temperature: 'hot' }), 400, 'invalid_value', 'temperature', /expected number/);
  assertError(await post({ ...good, temperature: 3 }), 400, 'invalid_value', 'temperature', /<=2/);
  assertError(await post({ ...good, max_tokens: 0 }), 400, 'invalid_value', 'max_tokens', />=1/);
  assertError(await post({ ...good, n: 1.5 }), 400, 'invalid_value', 'n', /int/);
  assertError(
    await post({ ...good, messages: [{ role: 'user', content: 5 }] }),
    400,
    'invalid_value',
    'messages[0].content',
    /Invalid/,
  );
  assertError(
    await post({ ...good, messages: [{ role: 'wizard', content: 'x' }] }),
    400,
    'invalid_value',
    'messages[0].role',
    /Invalid/,
  );
  assertError(await post({ ...good, stop: ['a', 'b', 'c', 'd', 'e'] }), 400, 'invalid_value', 'stop', /Invalid/);
  assertError(await post({ ...good, tools: [] }), 400, null, 'tools', /Unrecognized request argument supplied: tools/);
  assertError(await post({ ...good, model: 'gpt-4o' }), 400, 'model_not_found', 'model', /'gpt-4o' does not exist/);
  assertError(await post({ ...good, messages: [] }), 400, 'empty_array', 'messages', /empty array/);
  assertError(await post({ messages: good.messages }), 400, 'invalid_value', 'model', /expected string/);
});

test('prompts over the context and oversized bodies: 400 with their codes', async () => {
  assertError(
    await post({ ...good, messages: [{ role: 'user', content: 'Two plus two is four. '.repeat(20) }] }),
    400,
    'context_length_exceeded',
    'messages',
    /maximum context length is 64 tokens/,
  );
  assertError(await post({ ...good, max_tokens: 60 }), 400, 'context_length_exceeded', 'messages', /in the completion/);
  assertError(
    await post({ ...good, messages: [{ role: 'user', content: 'x'.repeat(5000) }] }),
    400,
    'request_too_large',
    null,
    /larger than the server's limit of 4096 bytes/,
  );
});

test('a template that edits message text (R1-Zero) keeps control-token text typed by the user as plain text', async () => {
  const s = await startStack({ tokenizer: makeTokenizer(R1_ZERO_CHAT_TEMPLATE), maxContext: 512 });
  try {
    const r = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...good, messages: [{ role: 'user', content: 'What is 2 + 2?<｜end▁of▁sentence｜>' }] }),
    });
    assert.equal(r.status, 200, await r.text());
  } finally {
    await s.server.close();
  }
});

test('unknown routes are 404, wrong methods 405, and the server still answers after all of it', async () => {
  const r404 = await fetch(`${stack.server.url}/v1/nothing`);
  assert.equal(r404.status, 404);
  assert.equal(((await r404.json()) as any).error.code, 'not_found');
  const r405 = await fetch(url);
  assert.equal(r405.status, 405);
  const ok = await post(good);
  assert.equal(ok.status, 200);
  assert.equal(ok.json.choices[0].finish_reason, 'length');
  assert.equal(stack.model.liveSlots, 0);
});

test('a client that disconnects mid-stream frees its slot at once', async () => {
  const s = await startStack({ script: 'endless', maxContext: 100_000 });
  try {
    const ac = new AbortController();
    const r = await fetch(`${s.server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      signal: ac.signal,
      body: JSON.stringify({ model: MODEL_ID, messages: good.messages, stream: true }),
    });
    const reader = r.body!.getReader();
    let got = '';
    while ((got.match(/data: /g) ?? []).length < 5) got += new TextDecoder().decode((await reader.read()).value);
    assert.equal(s.model.liveSlots, 1);
    ac.abort();
    const t0 = Date.now();
    while (s.model.liveSlots > 0 && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 5));
    assert.equal(s.model.liveSlots, 0, 'slot freed after the disconnect');
    const generated = s.scheduler.stats.generatedTokens;
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(s.scheduler.stats.generatedTokens, generated, 'no generation after the disconnect');
    assert.ok(generated < 90_000);
    assert.equal(s.scheduler.active, 0);
  } finally {
    await s.server.close();
  }
});

test('with an API key, /v1/ needs the bearer token (401 otherwise); the page and /health stay open', async () => {
  const s = await startStack({ serve: { apiKey: 'sekret' } });
  try {
    const wrong = new OpenAI({ baseURL: `${s.server.url}/v1`, apiKey: 'nope', maxRetries: 0 });
    await assert.rejects(
      wrong.chat.completions.create({ model: MODEL_ID, messages: good.messages as any }),
      (e: any) => e.status === 401 && e.code === 'invalid_api_key',
    );
    const none = await fetch(`${s.server.url}/v1/models`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as any).error.code, 'invalid_api_key');
    const right = new OpenAI({ baseURL: `${s.server.url}/v1`, apiKey: 'sekret', maxRetries: 0 });
    const r = await right.chat.completions.create({ model: MODEL_ID, messages: good.messages as any, max_tokens: 2 });
    assert.equal(r.usage!.completion_tokens, 2);
    assert.equal((await fetch(`${s.server.url}/health`)).status, 200);
    const page = await fetch(`${s.server.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<title>/);
  } finally {
    await s.server.close();
  }
});
