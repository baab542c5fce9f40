/**
 * A third-party DeepSeek client, Vercel's AI SDK (`ai` with `@ai-sdk/deepseek`), against the
 * server: the thinking arrives as reasoning and the answer as text, both from `generateText` and as
 * `reasoning-delta` / `text-delta` stream parts of `streamText` (issue 17, acceptance).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createDeepSeek } from '@ai-sdk/deepseek';
import { generateText, streamText } from 'ai';
import { ANSWER, MODEL_ID, THINKING, startStack } from './fixture.js';

const stack = await startStack();
after(() => stack.server.close());
const deepseek = createDeepSeek({ baseURL: `${stack.server.url}/v1`, apiKey: 'unused' });
const prompt = 'What is 2 + 2?';

test('generateText: reasoning and text are split at </think>', async () => {
  const r = await generateText({ model: deepseek(MODEL_ID), prompt, maxRetries: 0 });
  assert.equal(r.reasoningText, THINKING);
  assert.equal(r.text, ANSWER);
  assert.equal(r.finishReason, 'stop');
});

test('streamText: reasoning-delta parts rebuild the thinking, text-delta parts the answer', async () => {
  const r = streamText({ model: deepseek(MODEL_ID), prompt, maxRetries: 0 });
  let reasoning = '',
    text = '',
    reasoningParts = 0;
  for await (const part of r.fullStream) {
    if (part.type === 'reasoning-delta') {
      reasoning += part.text;
      reasoningParts++;
      assert.equal(text, '', 'no reasoning after the answer began');
    } else if (part.type === 'text-delta') text += part.text;
    else if (part.type === 'error') throw part.error;
  }
  assert.equal(reasoning, THINKING);
  assert.equal(text, ANSWER);
  assert.ok(reasoningParts > 3, `${reasoningParts} reasoning parts`);
});
