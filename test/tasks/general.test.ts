/**
 * The general-scenario sources of R1's second SFT round and final RL (paper 2.3.3-2.3.4): direct
 * queries verify exactly (right answers and solver answers pass, near misses fail) in both
 * languages; chat prompts come in both languages with a reference reply and are not tasks.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHAT_TASK, chatProblem } from '../../src/tasks/chat.js';
import { direct } from '../../src/tasks/direct.js';
import { GENERAL_TASKS, TASKS, getTask, isCorrect } from '../../src/tasks/registry.js';
import { Rng } from '../../src/tasks/rng.js';
import type { Problem } from '../../src/tasks/types.js';
import { assistantBody } from '../../src/tokenizer/chat.js';

const mk = (data: Problem['data']): Problem => ({
  task: 'direct',
  key: 'k',
  lang: 'en',
  difficulty: 1,
  prompt: '',
  answer: '',
  data,
});

test('direct: every kind verifies its solver answer, in both languages, deterministically', () => {
  const rng = new Rng(4),
    kinds = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = direct.generate(rng, 1, i % 2 ? 'zh' : 'en');
    kinds.add(String(p.data.kind));
    const s = direct.solve(p);
    assert.ok(direct.verify(p, s.answer), `${p.key}: ${s.answer}`);
    assert.ok(isCorrect(p, assistantBody(s.steps.join('\n'), s.answer)));
    assert.equal(direct.verify(p, `${s.answer}0`), false);
    if (p.lang === 'zh') assert.match(p.prompt, /[\u4e00-\u9fff]/);
  }
  assert.deepEqual(kinds, new Set(['max', 'sort', 'letters']));
  const a = new Rng(9),
    b = new Rng(9);
  assert.deepEqual(direct.generate(a, 1, 'en'), direct.generate(b, 1, 'en'));
  assert.throws(() => direct.generate(new Rng(1), 2, 'en'), /direct: difficulty must be one of 1, got 2/);
});

test('direct: exact answers only', () => {
  const max = mk({ kind: 'max', numbers: [17, 402] }),
    sort = mk({ kind: 'sort', numbers: [5, 3, 40, 3] }),
    letters = mk({ kind: 'letters', word: 'garden' });
  assert.ok(direct.verify(max, '402'));
  for (const bad of ['17', '402.5', '4020', '', 'four hundred two', '-402'])
    assert.equal(direct.verify(max, bad), false, bad);
  for (const ok of ['3, 3, 5, 40', '3,3,5,40', ' 3, 3, 5, 40 ', '3，3，5，40']) assert.ok(direct.verify(sort, ok), ok);
  for (const bad of ['3, 5, 40', '40, 5, 3, 3', '3, 3, 5, 40, 0', '3 3 5 40', ''])
    assert.equal(direct.verify(sort, bad), false, bad);
  assert.ok(direct.verify(letters, '6'));
  for (const bad of ['5', '06x', 'six']) assert.equal(direct.verify(letters, bad), false, bad);
});

test('registry: direct is a general task (not in the reasoning corpus), chat is no task', () => {
  assert.ok(GENERAL_TASKS.includes(direct));
  assert.ok(!TASKS.includes(direct));
  assert.equal(getTask('direct'), direct);
  assert.throws(
    () => getTask(CHAT_TASK),
    /unknown task "chat"; expected one of countdown, arithmetic, linear, word, direct/,
  );
});

test('chat prompts: both languages, a reference reply, never counted correct', () => {
  const rng = new Rng(2);
  const en = chatProblem(rng, 'en'),
    zh = chatProblem(rng, 'zh');
  assert.equal(en.task, CHAT_TASK);
  assert.doesNotMatch(en.prompt + en.answer, /[\u4e00-\u9fff]/);
  assert.match(zh.prompt + zh.answer, /[\u4e00-\u9fff]/);
  assert.equal(isCorrect(en, `<think></think>${en.answer}`), false);
});
