/**
 * Evaluation metrics on a fixed set of fake completions with known answers: a fake sampler returns
 * hand-written responses, so pass@1, cons@k, greedy accuracy, length, format-violation and
 * language-mixing rates can be computed by hand.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupSampler } from '../../src/eval/evaluate.js';
import { evaluateSampler } from '../../src/eval/model-eval.js';
import { TEMPLATES } from '../../src/rl/prompts.js';
import type { Problem } from '../../src/tasks/types.js';

const prob = (a: number, b: number): Problem => ({
  task: 'arithmetic',
  key: `arithmetic:${a}+${b}`,
  lang: 'en',
  difficulty: 1,
  prompt: `Calculate ${a} + ${b}.`,
  answer: String(a + b),
  data: { a: String(a), b: String(b), op: '+' },
});
const cd: Problem = {
  task: 'countdown',
  key: 'countdown:3,5,2->16',
  lang: 'en',
  difficulty: 1,
  prompt: 'Use 3, 5, 2 to make 16.',
  answer: '(3 + 5) * 2',
  data: { numbers: [3, 5, 2], target: 16 },
};
const good = (ans: string) => `<think>\nadd\n</think>\n<answer>${ans}</answer>`;
const problems = [prob(1, 2), prob(10, 5), cd];
// Sampled responses per problem (k = 4) and the greedy one; the template adds nothing (r1-zero).
const SAMPLED: Record<string, string[]> = {
  [problems[0]!.key]: [good('3'), good('3'), good('4'), 'the answer is 3'], // 2 correct; the last is unformatted and not a number
  [problems[1]!.key]: [good('15'), `<think>\n十 加 五\n</think>\n<answer>15</answer>`, good('14'), good('14')],
  [cd.key]: [good('(3 + 5) * 2'), good('3 * 5 + 2'), good('3 * 5 + 2'), good('3 * 5 + 2')],
};
const GREEDY: Record<string, string> = {
  [problems[0]!.key]: good('3'),
  [problems[1]!.key]: good('14'),
  [cd.key]: good('(3 + 5) * 2'),
};

test('pass@1, cons@k, greedy accuracy, length, format violations and language mixing on fixed completions', async () => {
  const texts: string[] = [];
  const tok = {
    eosId: 0 as number | undefined,
    vocabSize: 1000, // the scripted samplers ignore the sampling limit
    addedTokens: [],
    encode: (s: string) => [problems.findIndex((p) => TEMPLATES['r1-zero'].render(p) === s)],
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => texts[i - 1]!).join(''),
  };
  const sampler: GroupSampler = async (prompts, n, s) =>
    prompts.map(([i]) => {
      const p = problems[i!]!,
        rs = s.temperature === 0 ? [GREEDY[p.key]!] : SAMPLED[p.key]!;
      assert.equal(rs.length, n);
      return {
        completions: rs.map((r) => {
          texts.push(r);
          return [texts.length, 0];
        }),
        finished: rs.map(() => true),
      };
    });
  const { rows } = await evaluateSampler(
    sampler,
    problems,
    { k: 4, temperature: 0.6, topP: 0.95, maxNewTokens: 50, template: 'r1-zero', seed: 1, limit: 10 },
    tok,
  );
  const row = (t: string) => rows.find((r) => r.task === t)!;
  const a = row('arithmetic'),
    c = row('countdown'),
    all = row('all');
  assert.equal(a.problems, 2);
  assert.equal(a.pass_at_1, 0.5); // p1: the two good('3'); p2: good('15') and the mixed-language one
  assert.equal(a.greedy_accuracy, 0.5);
  assert.equal(a.cons_at_k, 1); // p1 votes 3; p2 ties 15 / 14 two each and the first seen (15) wins
  assert.equal(a.format_violation_rate, 1 / 8);
  assert.equal(a.language_mixing_rate, 1 / 8); // Han characters in the reasoning of an English problem
  assert.equal(c.pass_at_1, 1 / 4);
  assert.equal(c.cons_at_k, 0);
  assert.equal(c.greedy_accuracy, 1);
  assert.equal(all.problems, 3);
  assert.equal(all.greedy_accuracy, 2 / 3);
  assert.equal(all.mean_length, 2); // every fake completion is one text token + EOS
  assert.equal(all.format_violation_rate, 1 / 12);
  assert.equal(all.language_mixing_rate, 1 / 12);
  assert.equal(all.cons_at_k, 2 / 3);
});
