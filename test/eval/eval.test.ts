/**
 * pass@k / cons@k by hand: the unbiased pass@k estimator, vote keys and majority (ties to the first
 * seen), a whole evaluation over a scripted sampler whose answers give known pass@1, pass@k and
 * cons@k per task, and the one evaluator (src/eval/model-eval.ts) on fixed fake completions: every
 * column per task and "all" by hand, the greedy switch, the greedy pass's batches, determinism for
 * a seed, and the text table.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sampleAndScore, summarize, type GroupSampler } from '../../src/eval/evaluate.js';
import { evaluateSampler } from '../../src/eval/model-eval.js';
import { answerKey, majorityIndex, passAtK } from '../../src/eval/passk.js';
import { evalTable } from '../../src/eval/table.js';
import { TEMPLATES } from '../../src/rl/prompts.js';
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
  const arith = (a: number, b: number, lang: 'en' | 'zh' = 'en'): Problem => ({
    task: 'arithmetic',
    key: `arithmetic:${a}+${b}`,
    lang,
    difficulty: 1,
    prompt: `Calculate ${a} + ${b}.`,
    answer: String(a + b),
    data: {},
  });
  const cd: Problem = {
    task: 'countdown',
    key: 'countdown:3,5,7->22',
    lang: 'en',
    difficulty: 1,
    prompt: 'Use 3, 5, 7 to make 22.',
    answer: '3 * 5 + 7',
    data: { numbers: [3, 5, 7], target: 22 },
  };
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
    vocabSize: 1000, // the scripted samplers ignore the sampling limit
    addedTokens: [],
    encode: (text: string) => [...text].map((c) => c.charCodeAt(0)),
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => TEXTS[i]!).join(''),
  };
  const sampler: GroupSampler = async (prompts, n) =>
    prompts.map((ids) => {
      const text = String.fromCharCode(...ids);
      const script = SCRIPT[text]!;
      assert.equal(n, script.length);
      return { completions: script.map((i) => [i, 99]), finished: script.map(() => true) };
    });

  test('per-task pass@1, pass@k, cons@k, format rate and lengths', async () => {
    const results = await sampleAndScore(sampler, [arith(10, 20), arith(12, 13), cd], {
      k: 4,
      temperature: 0.6,
      topP: 0.95,
      maxNewTokens: 16,
      template: {
        render: (p) => p.prompt,
        segments: (_t, p) => [{ text: p.prompt, plain: true }],
        encode: (t, p) => t.encode(p.prompt),
        responsePrefix: '',
      },
      tokenizer,
      rng: new Rng(1),
      promptsPerBatch: 2,
    });
    assert.deepEqual(
      results.map((r) => r.correct),
      [
        [true, false, false, true],
        [true, false, false, false],
        [true, true, false, false],
      ],
    );
    const rep = summarize(results);
    const a = rep.find((r) => r.task === 'arithmetic')!,
      c = rep.find((r) => r.task === 'countdown')!,
      all = rep.find((r) => r.task === 'all')!;
    assert.deepEqual(
      [a.problems, a.k, a.pass_at_1, a.pass_at_k, a.cons_at_k, a.format_rate, a.mean_length],
      [2, 4, 0.375, 1, 0.5, 1, 2],
    );
    assert.deepEqual([c.pass_at_1, c.pass_at_k, c.cons_at_k, c.format_rate], [0.5, 1, 1, 0.75]);
    assert.ok(Math.abs(all.pass_at_1 - (0.5 + 0.25 + 0.5) / 3) < 1e-12);
    assert.ok(Math.abs(all.cons_at_k - 2 / 3) < 1e-12);
  });
});

describe('the one evaluator on fixed fake completions', () => {
  const arith = (a: number, b: number, lang: 'en' | 'zh' = 'en'): Problem => ({
    task: 'arithmetic',
    key: `arithmetic:${a}+${b}:${lang}`,
    lang,
    difficulty: 1,
    prompt: lang === 'en' ? `Calculate ${a} + ${b}.` : `计算 ${a} + ${b}。`,
    answer: String(a + b),
    data: {},
  });
  const cd: Problem = {
    task: 'countdown',
    key: 'countdown:2,3,4->20',
    lang: 'en',
    difficulty: 1,
    prompt: 'Use 2, 3, 4 to make 20.',
    answer: '(2 + 3) * 4',
    data: { numbers: [2, 3, 4], target: 20 },
  };
  const ok = (think: string, ans: string) => `<think>\n${think}\n</think>\n<answer>${ans}</answer>`;
  const problems = [arith(2, 2), arith(3, 4, 'zh'), cd];
  // k = 3 responses per problem; each is one text token (+ EOS when finished).
  const SAMPLED: Record<string, string[]> = {
    [problems[0]!.key]: [ok('two and two. Wait, verify: yes', '4'), ok('sum', '4'), ok('sum', '5')], // 2/3 right, 2 reflection phrases
    [problems[1]!.key]: [ok('二加二', '7'), ok('three plus 四', '7'), 'answer 8'], // 2/3 right; two mix English into Chinese; one unformatted
    [cd.key]: [ok('try', '2 * 3 * 4'), ok('try', '4 * (2 + 3)'), ok('try', '(3 + 2) * 4')], // 2/3 right; cons: 20 twice
  };
  const GREEDY: Record<string, string> = {
    [problems[0]!.key]: ok('x', '5'),
    [problems[1]!.key]: ok('想', '7'),
    [cd.key]: ok('t', '(2 + 3) * 4'),
  };
  const settings = {
    k: 3,
    temperature: 0.6,
    topP: 0.95,
    maxNewTokens: 8,
    template: 'r1-zero' as const,
    seed: 5,
    limit: 10,
  };

  /** A fake sampler; `draw` makes the sampled responses depend on the generator (for the determinism check). */
  function fake(draw = false) {
    const texts: string[] = [],
      calls: { prompts: number; n: number; temperature: number }[] = [];
    const tokenizer = {
      eosId: 0 as number | undefined,
      vocabSize: 1000, // the scripted samplers ignore the sampling limit
      addedTokens: [],
      encode: (s: string) => [problems.findIndex((p) => TEMPLATES['r1-zero'].render(p) === s)],
      decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => texts[i - 1]!).join(''),
    };
    const sampler: GroupSampler = async (prompts, n, st, rng) => {
      calls.push({ prompts: prompts.length, n, temperature: st.temperature });
      return prompts.map(([i]) => {
        const p = problems[i!]!;
        const rs =
          st.temperature === 0
            ? [GREEDY[p.key]!]
            : draw
              ? SAMPLED[p.key]!.map(() => SAMPLED[p.key]![rng.int(3)]!)
              : SAMPLED[p.key]!;
        assert.equal(rs.length, n);
        // The last sampled response of the countdown problem is cut off (no EOS): 1 token, the others 2.
        return {
          completions: rs.map((r, j) => {
            texts.push(r);
            return p === cd && j === 2 && st.temperature > 0 ? [texts.length] : [texts.length, 0];
          }),
          finished: rs.map((_, j) => !(p === cd && j === 2 && st.temperature > 0)),
        };
      });
    };
    return { sampler, tokenizer, calls };
  }

  test('every column per task and "all", by hand', async () => {
    const { sampler, tokenizer } = fake();
    const { rows, results, greedy } = await evaluateSampler(sampler, problems, settings, tokenizer);
    assert.deepEqual(
      rows.map((r) => r.task),
      ['arithmetic', 'countdown', 'all'],
    );
    const [a, c, all] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    assert.equal(results.length, 3);
    assert.equal(greedy.length, 3);
    assert.deepEqual([a.problems, a.k], [2, 3]);
    assert.ok(Math.abs(a.pass_at_1 - 2 / 3) < 1e-12);
    assert.equal(a.pass_at_k, 1);
    assert.equal(a.cons_at_k, 1); // 4 twice; 7 twice
    assert.equal(a.greedy_accuracy, 0.5); // 5 is wrong, 7 right
    assert.equal(a.mean_length, 2);
    assert.equal(a.format_violation_rate, 1 / 6); // 'answer 8'
    assert.equal(a.format_rate, 5 / 6);
    assert.equal(a.language_mixing_rate, 2 / 6); // English words in answers to a Chinese problem: 'three' in the reasoning, 'answer' in the untagged reply
    assert.ok(Math.abs(a.reflection_rate - 2 / 6) < 1e-12);
    assert.ok(Math.abs(c.pass_at_1 - 2 / 3) < 1e-12);
    assert.equal(c.cons_at_k, 1); // 4 * (2 + 3) and (3 + 2) * 4: same value and numbers, the majority
    assert.equal(c.greedy_accuracy, 1);
    assert.ok(Math.abs(c.mean_length - 5 / 3) < 1e-12);
    assert.equal(c.language_mixing_rate, 0);
    assert.equal(all.problems, 3);
    assert.ok(Math.abs(all.pass_at_1 - 2 / 3) < 1e-12);
    assert.equal(all.cons_at_k, 1);
    assert.ok(Math.abs(all.greedy_accuracy - 2 / 3) < 1e-12);
    assert.ok(Math.abs(all.mean_length - 17 / 9) < 1e-12);
    assert.equal(all.format_violation_rate, 1 / 9);
    assert.equal(all.language_mixing_rate, 2 / 9);
    assert.ok(Math.abs(all.reflection_rate - 2 / 9) < 1e-12);
  });

  test('--no-greedy leaves the greedy pass out (NaN, "-" in the table); the greedy pass batches promptsPerBatch * k prompts', async () => {
    const off = fake();
    const r = await evaluateSampler(
      off.sampler,
      problems,
      { ...settings, greedy: false, promptsPerBatch: 1 },
      off.tokenizer,
    );
    assert.ok(off.calls.every((x) => x.temperature > 0) && off.calls.length === 3, JSON.stringify(off.calls));
    assert.equal(r.greedy.length, 0);
    assert.ok(r.rows.every((x) => Number.isNaN(x.greedy_accuracy)));
    assert.equal(JSON.parse(JSON.stringify(r.rows[2])).greedy_accuracy, null);
    const table = evalTable(r.rows, 3).split('\n');
    assert.match(
      table[0]!,
      /^task\s+problems\s+pass@1\s+pass@3\s+cons@3\s+greedy\s+length\s+fmt-viol\s+mixing\s+reflect$/,
    );
    assert.match(table[3]!, /^all\s+3\s+66\.7%\s+100\.0%\s+100\.0%\s+-\s+1\.9\s+11\.1%\s+\d+\.\d%\s+0\.22$/);
    const on = fake();
    await evaluateSampler(on.sampler, problems, { ...settings, promptsPerBatch: 1 }, on.tokenizer);
    assert.deepEqual(
      on.calls.filter((x) => x.temperature === 0).map((x) => [x.prompts, x.n]),
      [[3, 1]],
    ); // 1 * k = 3 prompts at once
  });

  test('deterministic for a seed; another seed draws other samples', async () => {
    const run = async (seed: number) => {
      const f = fake(true);
      const r = await evaluateSampler(f.sampler, problems, { ...settings, seed }, f.tokenizer);
      return r.results.map((x) => x.responses);
    };
    assert.deepEqual(await run(5), await run(5));
    assert.notDeepEqual(await run(5), await run(6));
  });
});
