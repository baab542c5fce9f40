/**
 * The R1-Zero results page (src/eval/report.ts) from fixed fake evaluations and metrics: the table
 * rows, curve summaries as means over the first and last tenth of the steps (not two noisy single
 * steps), and examples ordered by how much a problem's share of correct samples moved.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CheckpointEval } from '../../src/eval/checkpoint-eval.js';
import type { ProblemResult } from '../../src/eval/evaluate.js';
import type { EvalRow } from '../../src/eval/model-eval.js';
import { r1ZeroPage } from '../../src/eval/report.js';

const row = (task: string, p1: number): EvalRow =>
  ({
    task,
    problems: 3,
    k: 4,
    pass_at_1: p1,
    pass_at_k: p1,
    cons_at_k: p1,
    format_rate: 1,
    mean_length: 50,
    reflection_rate: 0,
    greedy_accuracy: Number.NaN,
    format_violation_rate: 0,
    language_mixing_rate: 0,
  }) as EvalRow;
const result = (key: string, correct: boolean[]): ProblemResult => ({
  task: 'arithmetic',
  key,
  prompt: `Calculate ${key}.`,
  responses: correct.map((c, i) => `<think>${key} sample ${i + 1}</think> <answer>${c ? 'right' : 'wrong'}</answer>`),
  correct,
  formatted: correct.map(() => true),
  lengths: correct.map(() => 10),
  voted: 0,
});
const ev = (p1: number, results: ProblemResult[]): CheckpointEval => ({
  model: 'm',
  options: {
    model: 'm',
    datasetDir: 'd',
    tasks: ['arithmetic'],
    limit: 3,
    k: 4,
    temperature: 0.6,
    topP: 0.95,
    maxNewTokens: 64,
    template: 'r1-zero',
    seed: 1,
  },
  reports: [row('arithmetic', p1), row('all', p1)],
  results,
});

test('R1-Zero page: table, tenth-of-run means, examples that moved most first', () => {
  const F = false,
    T = true;
  const before = ev(0.25, [result('1+1', [F, F, F, T]), result('2+2', [F, F, F, F]), result('3+3', [T, F, F, F])]);
  const after = ev(0.5, [result('1+1', [F, F, T, T]), result('2+2', [T, T, T, F]), result('3+3', [T, F, F, F])]);
  // 20 steps: accuracy 0.1 for the first two, 0.9 for the last two, 0.5 between (step 20 alone would say 0.9 too)
  const records = Array.from({ length: 20 }, (_, i) => ({
    type: 'grpo',
    step: i + 1,
    accuracy: i < 2 ? 0.1 : i >= 18 ? 0.9 : 0.5,
    completion_length_mean: i < 2 ? 100 : 60,
    reflection_rate: 0.2,
    zero_spread_share: i < 2 ? 0.5 : 0.25,
    step_sec: 3,
  }));
  const page = r1ZeroPage({
    before,
    after,
    records,
    command: 'deepseek-ts r1-zero ...',
    config: { temperature: 1 },
    chartDir: 'charts',
    examples: 2,
  });
  assert.match(page, /\| arithmetic \| 3 \| 25\.0% \| 50\.0% \|/);
  assert.match(page, /Run: 20 GRPO steps \(1 minute of rollouts and updates\)/);
  assert.match(
    page,
    /Means over the first and the last 2 steps: training-batch accuracy \(temperature 1\) 10\.0% -> 90\.0%; mean response length 100 -> 60 tokens; reflection phrases per response 0\.20 -> 0\.20; groups with no reward spread 50\.0% -> 25\.0%\./,
  );
  // 2+2 moved by 3 samples, 1+1 by 1, 3+3 not at all (and is left out with examples: 2)
  const order = [...page.matchAll(/#### arithmetic: Calculate (\S+)\./g)].map((m) => m[1]);
  assert.deepEqual(order, ['2+2', '1+1']);
  assert.match(page, /Before: 0 of 4 samples correct; sample 1 \(wrong\):\n\n```text\n<think>2\+2 sample 1<\/think>/);
  assert.match(page, /After: 3 of 4 samples correct; sample 1 \(correct\):/);
  // under half correct: a wrong sample is shown; at least half: a correct one
  assert.match(page, /Before: 1 of 4 samples correct; sample 1 \(wrong\):/);
  assert.match(page, /After: 2 of 4 samples correct; sample 3 \(correct\):/);
});
