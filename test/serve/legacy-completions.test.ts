/**
 * The OpenAI API gaps real clients hit (issue 17, defect 9), through the official `openai` client:
 * POST /v1/completions (prompt as text or token ids, several prompts, echo, logprobs, streaming),
 * GET /v1/models/{id}, `top_logprobs` on chat, and a system message under a template without a
 * system slot (a 400, not a silent drop).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { R1_ZERO_CHAT_TEMPLATE } from '../../src/tokenizer/chat.js';
import { MODEL_ID, makeTokenizer, startStack } from './fixture.js';

const stack = await startStack({ maxContext: 128 });
after(() => stack.server.close());
const client = new OpenAI({ baseURL: `${stack.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
const PROMPT = 'What is 2 + 2?';

test('/v1/completions: a text prompt and the same prompt as token ids give the same text', async () => {
  const a = await client.completions.create({ model: MODEL_ID, prompt: PROMPT, max_tokens: 6, temperature: 0 });
  assert.equal(a.object, 'text_completion');
  assert.equal(a.choices.length, 1);
  assert.equal(a.choices[0]!.finish_reason, 'length');
  assert.ok(a.choices[0]!.text.length > 0);
  const ids = stack.tok.encode(PROMPT, { allowSpecial: true });
  assert.equal(a.usage!.prompt_tokens, ids.length);
  assert.equal(a.usage!.completion_tokens, 6);
  const b = await client.completions.create({ model: MODEL_ID, prompt: ids, max_tokens: 6, temperature: 0 });
  assert.equal(b.choices[0]!.text, a.choices[0]!.text);
  // no reasoning split on the legacy endpoint: the text is the raw continuation
  assert.equal(a.choices[0]!.text, stack.tok.decode(stack.tok.encode(a.choices[0]!.text)));
});

test('/v1/completions: several prompts with n, echo, stop, and streaming that folds to the same text', async () => {
  const r = await client.completions.create({
    model: MODEL_ID,
    prompt: [PROMPT, 'Hello!'],
    n: 2,
    max_tokens: 4,
    temperature: 0,
    echo: true,
  });
  assert.deepEqual(
    r.choices.map((c) => c.index),
    [0, 1, 2, 3],
  );
  assert.ok(r.choices[0]!.text.startsWith(PROMPT) && r.choices[1]!.text.startsWith(PROMPT));
  assert.ok(r.choices[2]!.text.startsWith('Hello!'));
  const plain = await client.completions.create({ model: MODEL_ID, prompt: PROMPT, max_tokens: 8, temperature: 0 });
  const stream = await client.completions.create({
    model: MODEL_ID,
    prompt: PROMPT,
    max_tokens: 8,
    temperature: 0,
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = '',
    finish: string | null = null,
    usage: OpenAI.CompletionUsage | undefined;
  for await (const c of stream) {
    for (const ch of c.choices) {
      text += ch.text;
      finish = ch.finish_reason ?? finish;
    }
    if (c.usage) usage = c.usage;
  }
  assert.equal(text, plain.choices[0]!.text);
  assert.equal(finish, 'length');
  assert.equal(usage!.completion_tokens, 8);
});

test('/v1/completions: logprobs = k gives tokens, token_logprobs, k top_logprobs and text_offset', async () => {
  const r = await client.completions.create({
    model: MODEL_ID,
    prompt: PROMPT,
    max_tokens: 3,
    temperature: 0,
    logprobs: 2,
  });
  const lp = r.choices[0]!.logprobs!;
  assert.equal(lp.tokens!.length, 3);
  assert.equal(lp.token_logprobs!.length, 3);
  assert.ok(lp.token_logprobs!.every((x) => typeof x === 'number' && x <= 0));
  assert.equal(lp.top_logprobs!.length, 3);
  for (let i = 0; i < 3; i++) {
    const top = lp.top_logprobs![i]!;
    assert.equal(Object.keys(top).length, 2);
    assert.equal(Math.max(...Object.values(top)), lp.token_logprobs![i], 'greedy: the chosen token is the top one');
  }
  assert.equal(lp.tokens!.join(''), r.choices[0]!.text);
  assert.deepEqual(lp.text_offset, [0, lp.tokens![0]!.length, lp.tokens![0]!.length + lp.tokens![1]!.length]);
});

test('/v1/completions: errors name the field (context, empty prompt, unknown fields, bad token ids)', async () => {
  const bad = async (body: Record<string, unknown>, status: number, param: string | null, code?: string) => {
    const r = await fetch(`${stack.server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL_ID, ...body }),
    });
    const j = (await r.json()) as { error: { param: string | null; code: string | null } };
    assert.equal(r.status, status, JSON.stringify(j));
    assert.equal(j.error.param, param);
    if (code) assert.equal(j.error.code, code);
  };
  await bad({ prompt: 'x '.repeat(200) }, 400, 'prompt', 'context_length_exceeded');
  await bad({ prompt: PROMPT, max_tokens: 500 }, 400, 'prompt', 'context_length_exceeded');
  await bad({ prompt: [] }, 400, 'prompt');
  await bad({ prompt: [1e9] }, 400, 'prompt', 'invalid_value');
  await bad({ prompt: PROMPT, suffix: 'x' }, 400, 'suffix');
  await bad({ prompt: PROMPT, logprobs: 2, echo: true }, 400, 'echo');
});

test('GET /v1/models/{id}: the served model, or 404 model_not_found', async () => {
  const m = await client.models.retrieve(MODEL_ID);
  assert.equal(m.id, MODEL_ID);
  assert.equal(m.object, 'model');
  await assert.rejects(client.models.retrieve('gpt-4o'), (e: unknown) => e instanceof OpenAI.NotFoundError);
});

test('chat: top_logprobs with logprobs gives the k most likely tokens per position', async () => {
  const r = await client.chat.completions.create({
    model: MODEL_ID,
    messages: [{ role: 'user', content: PROMPT }],
    max_tokens: 3,
    temperature: 0,
    logprobs: true,
    top_logprobs: 3,
  });
  const content = r.choices[0]!.logprobs!.content!;
  assert.equal(content.length, 3);
  for (const c of content) {
    assert.equal(c.top_logprobs.length, 3);
    assert.equal(c.top_logprobs[0]!.token, c.token);
    assert.equal(c.top_logprobs[0]!.logprob, c.logprob);
    assert.ok(c.top_logprobs[1]!.logprob <= c.top_logprobs[0]!.logprob);
  }
  await assert.rejects(
    client.chat.completions.create({
      model: MODEL_ID,
      messages: [{ role: 'user', content: PROMPT }],
      top_logprobs: 3,
    }),
    (e: unknown) => e instanceof OpenAI.BadRequestError && /logprobs/.test(String(e)),
  );
});

test('a system message under a template with no system slot is a 400, not dropped silently', async () => {
  const s = await startStack({ tokenizer: makeTokenizer(R1_ZERO_CHAT_TEMPLATE) });
  try {
    const c = new OpenAI({ baseURL: `${s.server.url}/v1`, apiKey: 'x', maxRetries: 0 });
    await assert.rejects(
      c.chat.completions.create({
        model: MODEL_ID,
        messages: [
          { role: 'system', content: 'Answer in French.' },
          { role: 'user', content: PROMPT },
        ],
      }),
      (e: unknown) =>
        e instanceof OpenAI.BadRequestError &&
        e.code === 'unsupported_system_message' &&
        e.param === 'messages[0]' &&
        /no place for a system message/.test(e.message),
    );
    const ok = await c.chat.completions.create({ model: MODEL_ID, messages: [{ role: 'user', content: PROMPT }] });
    assert.equal(ok.choices.length, 1);
  } finally {
    await s.server.close();
  }
});
