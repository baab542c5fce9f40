/**
 * The server through the official `openai` npm client, on a real loopback port: non-streaming and
 * streaming replies carry the thinking in `reasoning_content` and the answer in `content` (as
 * DeepSeek's API does), with usage, finish reasons, max_tokens, stop strings, n, and /v1/models.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { chatRender, encodeChat } from '../../src/tokenizer/prompt-plan.js';
import { ANSWER, MODEL_ID, THINKING, startStack } from './fixture.js';

const stack = await startStack();
after(() => stack.server.close());
const client = new OpenAI({ baseURL: `${stack.server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const messages = [{ role: 'user' as const, content: 'What is 2 + 2?' }];
type WithReasoning = { reasoning_content?: string | null };

test('non-streaming: reasoning_content and content are split at </think>; usage counts tokens', async () => {
  const r = await client.chat.completions.create({ model: MODEL_ID, messages });
  assert.equal(r.object, 'chat.completion');
  assert.equal(r.choices.length, 1);
  const m = r.choices[0]!.message as (typeof r.choices)[0]['message'] & WithReasoning;
  assert.equal(m.role, 'assistant');
  assert.equal(m.reasoning_content, THINKING);
  assert.equal(m.content, ANSWER);
  assert.equal(r.choices[0]!.finish_reason, 'stop');
  const promptIds = encodeChat(stack.tok, messages, chatRender(stack.tok)).ids;
  const replyIds = stack.tok.encode(`${THINKING}\n</think>\n\n${ANSWER}`, { allowSpecial: true });
  assert.equal(r.usage!.prompt_tokens, promptIds.length);
  assert.equal(r.usage!.completion_tokens, replyIds.length + 1, 'reply plus EOS');
  assert.equal(r.usage!.total_tokens, promptIds.length + replyIds.length + 1);
  assert.equal(
    r.usage!.completion_tokens_details!.reasoning_tokens,
    stack.tok.encode(`${THINKING}\n</think>`, { allowSpecial: true }).length,
  );
});

test('streaming: deltas rebuild both fields; finish_reason and the usage chunk arrive', async () => {
  const stream = await client.chat.completions.create({
    model: MODEL_ID,
    messages,
    stream: true,
    stream_options: { include_usage: true },
  });
  let reasoning = '',
    content = '',
    finish: string | null = null,
    chunks = 0,
    reasoningDeltas = 0;
  let usage: OpenAI.CompletionUsage | undefined | null;
  let firstRole: string | undefined;
  for await (const c of stream) {
    chunks++;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      const d = ch.delta as typeof ch.delta & WithReasoning;
      firstRole ??= d.role;
      if (d.reasoning_content) {
        reasoning += d.reasoning_content;
        reasoningDeltas++;
        assert.equal(content, '', 'no reasoning after the answer began');
      }
      if (d.content) content += d.content;
      if (ch.finish_reason) finish = ch.finish_reason;
    }
  }
  assert.equal(firstRole, 'assistant');
  assert.equal(reasoning, THINKING);
  assert.equal(content, ANSWER);
  assert.equal(finish, 'stop');
  assert.ok(
    reasoningDeltas > 5 && chunks > 15,
    `streamed in pieces (${reasoningDeltas} reasoning deltas, ${chunks} chunks)`,
  );
  assert.ok(
    usage && usage.completion_tokens > 0 && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens,
  );
});

test('max_tokens ends with length; a stop string cuts the text and ends with stop', async () => {
  const short = await client.chat.completions.create({ model: MODEL_ID, messages, max_tokens: 5 });
  assert.equal(short.choices[0]!.finish_reason, 'length');
  assert.equal(short.usage!.completion_tokens, 5);
  assert.equal(short.choices[0]!.message.content, '');
  const cut = await client.chat.completions.create({ model: MODEL_ID, messages, stop: [' plus', 'never'] });
  const m = cut.choices[0]!.message as (typeof cut.choices)[0]['message'] & WithReasoning;
  assert.equal(m.reasoning_content, 'Let me think about 2 + 2. Two');
  assert.equal(m.content, '');
  assert.equal(cut.choices[0]!.finish_reason, 'stop');
  const inAnswer = await client.chat.completions.create({ model: MODEL_ID, messages, stop: '**' });
  assert.equal(inAnswer.choices[0]!.message.content, 'The answer is');
});

test('n choices, seed and sampling settings are accepted; /v1/models lists the model', async () => {
  const r = await client.chat.completions.create({
    model: MODEL_ID,
    messages,
    n: 3,
    seed: 7,
    temperature: 0.6,
    top_p: 0.95,
  });
  assert.deepEqual(
    r.choices.map((c) => c.index),
    [0, 1, 2],
  );
  for (const c of r.choices) assert.equal(c.message.content, ANSWER);
  const models = await client.models.list();
  assert.deepEqual(
    models.data.map((m) => m.id),
    [MODEL_ID],
  );
  const health = (await (await fetch(`${stack.server.url}/health`)).json()) as { status: string };
  assert.equal(health.status, 'ok');
  assert.equal(stack.model.liveSlots, 0);
});

test('logprobs of the chosen tokens come back per token', async () => {
  const r = await client.chat.completions.create({ model: MODEL_ID, messages, logprobs: true, max_tokens: 4 });
  const lp = r.choices[0]!.logprobs!.content!;
  assert.equal(lp.length, 4);
  for (const t of lp) assert.ok(t.logprob < 0 && t.logprob > -0.1, `${t.token}: ${t.logprob}`);
  const text = lp.map((t) => t.token).join('');
  assert.ok(text.length >= 4 && THINKING.startsWith(text), JSON.stringify(text));
});
