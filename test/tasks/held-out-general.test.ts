/**
 * The held-out general prompts are disjoint from the ones the model trains on and cover every kind:
 * chat evaluation prompts (src/eval/general.ts) never appear in the SFT records
 * (src/pipeline/non-reasoning.ts) or among the training chat prompts, and the held-out direct
 * queries contain all three kinds, letter counts included, on words the training split never uses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generalProblems } from '../../src/eval/general.js';
import { nonReasoningRecords } from '../../src/pipeline/non-reasoning.js';
import { chatProblem, chatPrompts } from '../../src/tasks/chat.js';
import { direct, WORDS } from '../../src/tasks/direct.js';
import { Rng } from '../../src/tasks/rng.js';
import { generateProblems, isTestKey } from '../../src/tasks/splits.js';
import { LANGS } from '../../src/tasks/types.js';

test('chat: the held-out prompts are disjoint from the training prompts and hold both kinds', () => {
  for (const lang of LANGS) {
    const train = chatPrompts(lang, 'train'),
      held = chatPrompts(lang, 'test');
    const trainSet = new Set([...train.greetings, ...train.identity]);
    assert.ok(held.greetings.length > 0 && held.identity.length > 0, `${lang}: both kinds are held out`);
    for (const p of [...held.greetings, ...held.identity]) assert.ok(!trainSet.has(p), `${lang}: "${p}" is in both`);
    const rng = new Rng(3);
    for (let i = 0; i < 100; i++) assert.ok(trainSet.has(chatProblem(rng, lang).prompt), 'training draws are train');
  }
  const evalPrompts = generalProblems({ chat: 40 }, 5).map((p) => p.prompt);
  assert.equal(new Set(evalPrompts).size, 4, 'the evaluation draws every held-out English prompt');
  const sftPrompts = new Set(
    nonReasoningRecords({ chat: 200, direct: 0 }, 5).map((r) => r.messages[0]!.content as string),
  );
  for (const p of evalPrompts) assert.ok(!sftPrompts.has(p), `held-out chat prompt "${p}" is in the SFT data`);
});

test('direct: the held-out split has every kind, and its letter words never occur in training', () => {
  const test_ = generateProblems({ task: direct, split: 'test', count: 90, seed: 1, langs: ['en'] });
  assert.deepEqual(new Set(test_.map((p) => p.data.kind)), new Set(['max', 'sort', 'letters']));
  const heldWords = WORDS.filter((w) => isTestKey(`direct:letters:${w}`));
  assert.ok(heldWords.length >= 2, `held-out words: ${heldWords.join(', ')}`);
  const train = generateProblems({ task: direct, split: 'train', count: 600, seed: 1, langs: ['en'] });
  const testKeys = new Set(test_.map((p) => p.key));
  for (const p of train) {
    assert.ok(!testKeys.has(p.key), `${p.key} is in both splits`);
    if (p.data.kind === 'letters') assert.ok(!heldWords.includes(String(p.data.word)), `${p.key} is held out`);
  }
});
