/**
 * One encoding of a question everywhere (issue 14: "training data must encode questions exactly as
 * serving does"): a countdown prompt in TinyZero's wording mentions `<think>` and `<answer>`; in the
 * corpus, in RL and eval prompts (the task templates) and through the chat API (the served model's
 * chat template) it is the same token ids, with those mentions as plain text, while the template's
 * own tags and the response's tags stay added tokens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  chatDocument,
  documentSegments,
  encodeDocument,
  encodeDocumentParts,
  r1ZeroDocument,
} from '../../src/data/documents.js';
import { R1_ADDED_TOKENS } from '../../src/tokenizer/special-tokens.js';
import { TEMPLATES } from '../../src/rl/prompts.js';
import { countdown } from '../../src/tasks/countdown.js';
import { Rng } from '../../src/tasks/rng.js';
import { R1_CHAT_TEMPLATE, R1_ZERO_CHAT_TEMPLATE } from '../../src/tokenizer/chat.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { chatRender, encodeChat } from '../../src/tokenizer/prompt-plan.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';

const problem = countdown.generate(new Rng(3), 4, 'en');
const REASONING = '36 + 55 = 91, not 74.\nBack to 36 55 17.';
const ANSWER = '(36 + 55) - 17';

function tokenizer(chatTemplate: string): HfTokenizer {
  const docs = [r1ZeroDocument(problem.prompt, REASONING, ANSWER).text, 'Calculate 47 + 385.'];
  const t = trainTokenizer(docs, { vocabSize: 400 });
  return new HfTokenizer(t.tokenizerJson, { ...t.tokenizerConfig, chat_template: chatTemplate });
}

const count = (ids: readonly number[], id: number | undefined) => ids.filter((i) => i === id).length;

test('the task prompt mentions the tags (the case this file is about)', () => {
  assert.match(problem.prompt, /<think> <\/think>/);
  assert.match(problem.prompt, /<answer>/);
});

test('R1-Zero layout: the corpus prompt is the RL/eval prompt and the chat API prompt, tags in the question plain', () => {
  const tok = tokenizer(R1_ZERO_CHAT_TEMPLATE);
  const doc = r1ZeroDocument(problem.prompt, REASONING, ANSWER);
  const parts = encodeDocumentParts(tok, doc);
  assert.deepEqual(parts.prompt, TEMPLATES['r1-zero'].encode(tok, problem));
  // The served R1-Zero model's generation prompt is the training prompt plus ` <think>\n`.
  const api = encodeChat(tok, [{ role: 'user', content: problem.prompt }], chatRender(tok)).ids;
  assert.deepEqual(api, [...parts.prompt, ...tok.encode(' <think>\n', { allowSpecial: true })]);
  assert.deepEqual(api.slice(0, parts.prompt.length + 2), [...parts.prompt, ...parts.response.slice(0, 2)]);
  // The template's preamble holds one <think> and one <answer> token; the question's mentions are text.
  const think = tok.tokenToId('<think>'),
    answer = tok.tokenToId('<answer>');
  assert.equal(count(parts.prompt, think), 2, 'preamble: "within <think> </think>" and "i.e., <think> reasoning"');
  assert.equal(count(parts.prompt, answer), 2);
  assert.equal(count(tok.encode(problem.prompt, { allowSpecial: true }), think), 1, 'allowSpecial would make a token');
  // The response keeps its tags as tokens, and the document decodes back to its text.
  assert.equal(count(parts.response, think), 1);
  assert.equal(count(parts.response, answer), 1);
  assert.equal(tok.decode(encodeDocument(tok, doc)), doc.text);
});

test('R1 chat layout: the corpus prompt equals the RL/eval r1 prompt and the chat API prompt', () => {
  const tok = tokenizer(R1_CHAT_TEMPLATE);
  const doc = chatDocument(problem.prompt, REASONING, ANSWER);
  const parts = encodeDocumentParts(tok, doc);
  const api = encodeChat(tok, [{ role: 'user', content: problem.prompt }], chatRender(tok)).ids;
  assert.deepEqual(parts.prompt, api);
  assert.deepEqual(parts.prompt, TEMPLATES.r1.encode(tok, problem));
  assert.equal(count(parts.prompt, tok.tokenToId('<think>')), 1, 'only the forced opening');
  assert.equal(tok.decode(encodeDocument(tok, doc)), doc.text);
});

test('a question without tag spellings encodes as the one rendered string did (the rest of the corpus is unchanged)', () => {
  const tok = tokenizer(R1_ZERO_CHAT_TEMPLATE);
  for (const doc of [
    r1ZeroDocument('Calculate 47 + 385.', '7 + 5 = 12, write 2, carry 1', '432'),
    chatDocument('Calculate 47 + 385.', '7 + 5 = 12, write 2, carry 1', '432'),
  ])
    assert.deepEqual(encodeDocument(tok, doc), tok.encode(doc.text, { allowSpecial: true }));
});

test('a corpus line without its prompt field, or whose text does not match it, is refused with what to do', () => {
  const tok = tokenizer(R1_ZERO_CHAT_TEMPLATE);
  const doc = r1ZeroDocument(problem.prompt, REASONING, ANSWER);
  assert.throws(() => encodeDocument(tok, { text: doc.text } as never), /no "prompt" field.*data build/);
  assert.throws(() => encodeDocument(tok, { ...doc, prompt: 'Calculate 1 + 2.' }), /does not start with.*rebuild/);
});

test('the tokenizer trainer counts the question as plain text, so the plain tag spellings get merges', () => {
  const docs = Array.from({ length: 20 }, (_, i) =>
    r1ZeroDocument(countdown.generate(new Rng(i), 4, 'en').prompt, REASONING, ANSWER),
  );
  const spellings = { addedTokens: R1_ADDED_TOKENS };
  const plainAware = trainTokenizer(
    docs.map((d) => {
      const s = documentSegments(spellings, d);
      return [...s.prompt, s.response];
    }),
    { vocabSize: 400 },
  );
  const asText = trainTokenizer(
    docs.map((d) => d.text),
    { vocabSize: 400 },
  );
  const len = (t: ReturnType<typeof trainTokenizer>) =>
    new HfTokenizer(t.tokenizerJson, t.tokenizerConfig).encode('<think> </think>').length;
  assert.ok(len(plainAware) < len(asText), `${len(plainAware)} vs ${len(asText)} tokens for the plain spelling`);
});
