/**
 * pass@k / cons@k by hand: the unbiased pass@k estimator, vote keys and majority (ties to the first
 * seen), and a whole evaluation over a scripted sampler whose answers give known pass@1, pass@k
 * and cons@k per task.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleAndScore, summarize, type GroupSampler } from '../../src/eval/evaluate.js';
import { answerKey, majorityIndex, passAtK } from '../../src/eval/passk.js';
import type { Problem } from '../../src/tasks/types.js';
import { Rng } from '../../src/tensor/index.js';

describe('pass@k and votes', () => {
  test('unbiased pass@k by hand', () => {
    assert.equal(passAtK(8, 2, 1), 0.25);
    assert.ok(Math.abs(passAtK(8, 2, 2) - (1 - 15 / 28)) < 1e-12); // 1 - C(6,2)/C(8,2)
    assert.equal(passAtK(8, 0, 8), 0);
    assert.equal(passAtK(8, 1, 8), 1);
    assert.equal(passAtK(8, 7, 2), 1);
    assert.throws(() => passAtK(4, 5, 1), /0 <= c <= n/);
  });
  test('answer keys group equal values (countdown: and equal numbers), never use the ground truth', () => {
    assert.equal(answerKey('countdown', '3 * 5 + 7'), answerKey('countdown', '7+(5*3)'));
    assert.notEqual(answerKey('countdown', '3 * 5 + 7'), answerKey('countdown', '11 + 11'));
    assert.equal(answerKey('arithmetic', '132'), answerKey('arithmetic', ' 130 + 2 '));
    assert.equal(answerKey('arithmetic', 'about 132'), 'text:about 132');
    assert.equal(answerKey('arithmetic', '  '), '');
  });
  test('majority vote: most frequent key, ties to the first seen, empty answers do not vote', () => {
    assert.equal(majorityIndex(['a', 'b', 'b', 'a']), 0);
    assert.equal(majorityIndex(['', 'b', '', 'c', 'c']), 3);
    assert.equal(majorityIndex(['', '', 'x']), 2);
    assert.equal(majorityIndex(['', '']), -1);
  });
});

describe('evaluation over a scripted sampler', () => {
  const arith = (a: number, b: number, lang: 'en' | 'zh' = 'en'): Problem => ({ task: 'arithmetic', key: `arithmetic:${a}+${b}`, lang, difficulty: 1, prompt: `Calculate ${a} + ${b}.`, answer: String(a + b), data: {} });
  const cd: Problem = { task: 'countdown', key: 'countdown:3,5,7->22', lang: 'en', difficulty: 1, prompt: 'Use 3, 5, 7 to make 22.', answer: '3 * 5 + 7', data: { numbers: [3, 5, 7], target: 22 } };
  const R = (ans: string) => `<think>work</think> <answer>${ans}</answer>`;
  // Token id i decodes to TEXTS[i]; each scripted completion is one token.
  const TEXTS = [R('30'), R('31'), R('25'), R('7 + 3 * 5'), R('(3 + 5) + 7'), 'no tags at all 22', R('3 * 5 + 7')];
  const SCRIPT: Record<string, number[]> = {
    'Calculate 10 + 20.': [0, 1, 1, 0], // pass@1 0.5, tie 30/31 -> first seen (30) -> cons 1
    'Calculate 12 + 13.': [2, 1, 1, 1], // pass@1 0.25, vote 31 -> cons 0
    'Use 3, 5, 7 to make 22.': [3, 6, 4, 5], // pass@1 0.5 (two equal-valued right answers form the majority), cons 1
  };
  const tokenizer = {
    eosId: 99 as number | undefined,
    encode: (text: string) => [...text].map((c) => c.charCodeAt(0)),
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => TEXTS[i]!).join(''),
  };
  const sampler: GroupSampler = (prompts, n) => prompts.map((ids) => {
    const text = String.fromCharCode(...ids);
    const script = SCRIPT[text]!;
    assert.equal(n, script.length);
    return { completions: script.map((i) => [i, 99]), finished: script.map(() => true) };
  });

  test('per-task pass@1, pass@k, cons@k, format rate and lengths', () => {
    const results = sampleAndScore(sampler, [arith(10, 20), arith(12, 13), cd], {
      k: 4, temperature: 0.6, topP: 0.95, maxNewTokens: 16, template: { render: (p) => p.prompt, responsePrefix: '' }, tokenizer, rng: new Rng(1), promptsPerBatch: 2,
    });
    assert.deepEqual(results.map((r) => r.correct), [[true, false, false, true], [true, false, false, false], [true, true, false, false]]);
    const rep = summarize(results);
    const a = rep.find((r) => r.task === 'arithmetic')!, c = rep.find((r) => r.task === 'countdown')!, all = rep.find((r) => r.task === 'all')!;
    assert.deepEqual([a.problems, a.k, a.pass_at_1, a.pass_at_k, a.cons_at_k, a.format_rate, a.mean_length], [2, 4, 0.375, 1, 0.5, 1, 2]);
    assert.deepEqual([c.pass_at_1, c.pass_at_k, c.cons_at_k, c.format_rate], [0.5, 1, 1, 0.75]);
    assert.ok(Math.abs(all.pass_at_1 - (0.5 + 0.25 + 0.5) / 3) < 1e-12);
    assert.ok(Math.abs(all.cons_at_k - 2 / 3) < 1e-12);
  });
});
