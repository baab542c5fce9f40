/**
 * Every task: solutions verify, mutated answers fail, prompts come in both languages, and
 * generation is deterministic per seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASKS, isCorrect } from '../../src/tasks/registry.js';
import { Rng } from '../../src/tasks/rng.js';
import { generateProblems } from '../../src/tasks/splits.js';
import { assistantBody } from '../../src/tokenizer/chat.js';
import type { Problem } from '../../src/tasks/types.js';

/** Wrong answers derived from a right one: off by one, a changed digit, a dropped digit, noise. */
function mutations(answer: string, rng: Rng): string[] {
  const out = new Set<string>();
  const digits = [...answer].map((c, i) => (/\d/.test(c) ? i : -1)).filter((i) => i >= 0);
  for (const i of digits.slice(0, 3)) {
    const d = Number(answer[i]);
    out.add(answer.slice(0, i) + String((d + 1 + rng.int(0, 7)) % 10) + answer.slice(i + 1));
  }
  if (digits.length > 1) out.add(answer.slice(0, digits[0]!) + answer.slice(digits[0]! + 1));
  out.add(`${answer}0`);
  out.add(`${answer}1`);
  out.add(`${answer} + 1`);
  out.add('');
  return [...out].filter(
    (m) => m !== answer && !(m !== '' && /^-?\d+$/.test(m) && /^-?\d+$/.test(answer) && BigInt(m) === BigInt(answer)),
  );
}

for (const task of TASKS) {
  test(`${task.name}: solutions verify and mutated answers fail, in both languages`, () => {
    const rng = new Rng(5);
    for (const split of ['train', 'test'] as const) {
      for (const p of generateProblems({ task, split, count: 150, seed: 11 })) {
        const sol = task.solve(p);
        assert.ok(task.verify(p, sol.answer), `${p.key}: solver answer ${sol.answer} rejected`);
        assert.ok(task.verify(p, p.answer), `${p.key}: ground truth ${p.answer} rejected`);
        assert.ok(sol.steps.length > 0);
        assert.ok(isCorrect(p, assistantBody(sol.steps.join('\n'), sol.answer)));
        for (const m of mutations(sol.answer, rng)) {
          if (task.name === 'countdown' && m.replace(/[^\d]/g, '') === sol.answer.replace(/[^\d]/g, '')) continue;
          assert.equal(
            task.verify(p, m),
            false,
            `${p.key}: mutated answer ${JSON.stringify(m)} accepted (right: ${sol.answer})`,
          );
        }
        if (p.lang === 'zh') assert.match(p.prompt + sol.steps.join(''), /[\u4e00-\u9fff]/);
        else assert.doesNotMatch(p.prompt + sol.steps.join(''), /[\u4e00-\u9fff]/);
      }
    }
  });

  test(`${task.name}: generation is deterministic and covers every difficulty`, () => {
    const a = generateProblems({ task, split: 'train', count: 60, seed: 3 });
    const b = generateProblems({ task, split: 'train', count: 60, seed: 3 });
    const c = generateProblems({ task, split: 'train', count: 60, seed: 4 });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    // Unnamed difficulties mean the task's default levels; every level can be asked for.
    assert.deepEqual(
      new Set(a.map((p: Problem) => p.difficulty)),
      new Set(task.defaultDifficulties ?? task.difficulties),
    );
    const all = generateProblems({ task, split: 'train', count: 80, seed: 3, difficulties: task.difficulties });
    assert.deepEqual(new Set(all.map((p: Problem) => p.difficulty)), new Set(task.difficulties));
    assert.deepEqual(new Set(a.map((p) => p.lang)), new Set(['en', 'zh']));
    assert.throws(() => task.generate(new Rng(1), 99, 'en'), /difficulty must be one of/);
  });
}

test('countdown accepts any valid expression, rejects reuse, missing numbers and unary minus', () => {
  const p: Problem = {
    task: 'countdown',
    key: 'k',
    lang: 'en',
    difficulty: 1,
    prompt: '',
    answer: '',
    data: { numbers: [2, 3, 7], target: 13 },
  };
  const task = TASKS[0]!;
  for (const ok of ['2 * 3 + 7', '7 + 3 * 2', '(7 + 3 * 2) = 13', ' 7+(2×3) ']) assert.ok(task.verify(p, ok), ok);
  for (const bad of [
    '7 + 6',
    '2 * 3 + 7 + 0',
    '2 * 3 + 7 * 1',
    '-2 * -3 + 7',
    '13',
    '2 * 3 + 7 + 7 - 7',
    '2 * 3 * 7',
    '',
  ]) {
    assert.equal(task.verify(p, bad), false, bad);
  }
});

test('linear accepts equal forms of a fraction', () => {
  const task = TASKS[2]!;
  const p: Problem = {
    task: 'linear',
    key: 'k',
    lang: 'en',
    difficulty: 3,
    prompt: '',
    answer: '-3/4',
    data: { a: 4, b: 3, c: 0, d: 0 },
  };
  for (const ok of ['-3/4', 'x = -3/4', '-0.75', '−3/4', '-6/8']) assert.ok(task.verify(p, ok), ok);
  for (const bad of ['3/4', '-3/5', '-0.7', 'x', '-3/0', '-3/4x']) assert.equal(task.verify(p, bad), false, bad);
});
