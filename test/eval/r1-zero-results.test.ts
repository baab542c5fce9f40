/**
 * The R1-Zero results chain (issue 14): the digest of an evaluation (tiers, headline, per-problem
 * outcomes, behaviours) on hand-made responses with hand-computed figures; the acceptance criteria
 * and summary.json on synthetic digests, met and missed; the page from files on disk.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ProblemResult } from '../../src/eval/evaluate.js';
import { digestEval, type EvalDigest } from '../../src/eval/r1-zero-digest.js';
import {
  r1ZeroCriteria,
  r1ZeroPage,
  r1ZeroSummary,
  readR1ZeroFiles,
  type R1ZeroFiles,
} from '../../src/eval/r1-zero-page.js';
import { checkFaultsTable } from '../../src/eval/r1-zero-tables.js';
import { tierAndBehaviourMetrics } from '../../src/rl/rollout-metrics.js';
import { arithmetic } from '../../src/tasks/arithmetic.js';
import { countdown } from '../../src/tasks/countdown.js';
import { Rng } from '../../src/tasks/rng.js';
import type { Problem } from '../../src/tasks/types.js';

const cd3 = countdown.generate(new Rng(3), 4, 'en'),
  cd4 = countdown.generate(new Rng(5), 5, 'en'),
  ar = arithmetic.generate(new Rng(7), 4, 'en');
const problems = new Map<string, Problem>([cd3, cd4, ar].map((p) => [p.key, p]));
const right = (p: Problem) => `<think>\nok\n</think> <answer>${p.answer}</answer>`;
/** A wrong countdown try: one candidate compared with the target, then a false claim. */
const falseClaim = (p: Problem) => `<think>\n1 + 2 = 3, equals ${p.data.target}!\n</think> <answer>1 + 2</answer>`;

function result(p: Problem, responses: string[], lengths: number[]): ProblemResult {
  const correct = responses.map((r) => r.includes(`<answer>${p.answer}</answer>`));
  return { task: p.task, key: p.key, prompt: p.prompt, responses, correct, formatted: correct, lengths, voted: 0 };
}

/** A full evaluation report of k = 2 samples per problem at a 100-token limit. */
function evaluation(results: ProblemResult[], greedy: ProblemResult[]) {
  return {
    label: 'base',
    model: 'm',
    settings: {
      k: 2,
      temperature: 0.6,
      topP: 0.95,
      maxNewTokens: 100,
      template: 'r1-zero' as const,
      seed: 0,
      limit: 9,
    },
    rows: [],
    results,
    greedy,
  };
}

test('digest: tiers, the equal-weighted headline, per-problem outcomes and behaviours', () => {
  const e = evaluation(
    [
      result(cd3, [right(cd3), falseClaim(cd3)], [40, 100]),
      result(cd4, [falseClaim(cd4), falseClaim(cd4)], [60, 80]),
      result(ar, [right(ar), right(ar)], [10, 30]),
    ],
    [result(cd3, [right(cd3)], [40]), result(cd4, [right(cd4)], [50]), result(ar, [falseClaim(ar)], [5])],
  );
  const d = digestEval(e, problems);
  const tier = (t: string) => d.tiers.find((x) => x.tier === t)!;
  assert.deepEqual(
    d.tiers.map((t) => t.tier),
    ['arithmetic/4', 'countdown/4', 'countdown/5'],
  );
  assert.equal(tier('countdown/4').pass_at_1, 0.5);
  assert.equal(tier('countdown/4').pass_at_k, 1);
  assert.equal(tier('countdown/4').truncated, 0.5, 'one of two at the 100-token limit');
  assert.equal(tier('countdown/4').mean_length_correct, 40);
  assert.equal(tier('countdown/5').pass_at_1, 0);
  assert.equal(tier('arithmetic/4').greedy_accuracy, 0);
  assert.equal(d.headline.pass_at_1, (0.5 + 0 + 1) / 3);
  assert.equal(d.headline.greedy_accuracy, 2 / 3);
  assert.equal(d.headline.mean_length, (70 + 70 + 20) / 3);
  const p4 = d.problems.find((p) => p.key === cd4.key)!;
  assert.deepEqual([p4.correct, p4.k, p4.mean_length, p4.mean_distinct_candidates, p4.greedy], [0, 2, 70, 1, true]);
  const all = d.behaviours.find((g) => g.group === 'all')!;
  assert.equal(all.falseClaimShare, 1, 'every claim ("equals <target>!") is false');
  assert.equal(all.responses, 6);
  assert.throws(
    () => digestEval({ ...e, results: [{ ...e.results[0]!, key: 'nope' }] }, problems),
    /no held-out problem has the key "nope"/,
  );
});

test('RL metrics: accuracy and length per tier, behaviour means and mode shares', () => {
  const inputs = [cd3, cd3, cd4, ar].map((p, i) => ({
    problem: p,
    response: i === 1 ? falseClaim(p) : right(p),
    completionTokens: 10,
    maxCompletionTokens: 100,
  }));
  const m = tierAndBehaviourMetrics(inputs, [10, 30, 50, 7]);
  assert.equal(m['tiers/countdown/4/accuracy'], 0.5);
  assert.equal(m['tiers/countdown/4/length'], 20);
  assert.equal(m['tiers/countdown/5/length'], 50);
  assert.equal(m['tiers/arithmetic/4/accuracy'], 1);
  assert.equal(m['behaviours/success_claims'], 0.25);
  assert.equal(m['behaviours/false_claim_share'], 1);
  assert.equal(m['behaviours/candidates'], 0.25);
});

/** A synthetic digest with the headline tiers at `pass` and `length`. */
function digest(pass: number, length: number, extra: Partial<EvalDigest> = {}): EvalDigest {
  const tiers = ['arithmetic/4', 'countdown/4', 'countdown/5'].map((tier, i) => ({
    tier,
    problems: 10,
    k: 8,
    pass_at_1: pass,
    pass_at_k: pass,
    cons_at_k: pass,
    greedy_accuracy: pass,
    mean_length: length + 10 * i,
    mean_length_correct: length,
    truncated: 0,
  }));
  return {
    label: '',
    model: '',
    settings: { k: 8, temperature: 0.6, topP: 0.95, maxNewTokens: 848, template: 'r1-zero', seed: 0, limit: 720 },
    rows: [],
    tiers,
    headline: { pass_at_1: pass, cons_at_k: pass, greedy_accuracy: pass, mean_length: length + 10 },
    behaviours: [{ group: 'all', falseClaimShare: 0.01 } as EvalDigest['behaviours'][number]],
    greedy_behaviours: [],
    problems: [],
    ...extra,
  };
}

function files(primedAfter: number, controlAfter: number): R1ZeroFiles {
  const evals = new Map<string, EvalDigest>([
    ['eval-base-primed', digest(0.3, 100)],
    ['eval-base-primed-noise', digest(0.31, 100)],
    ['eval-base-optimal', digest(0.3, 100)],
  ]);
  const metrics = new Map<string, Record<string, number | string>[]>();
  for (const s of [0, 1, 2]) {
    evals.set(`eval-primed-s${s}`, digest(primedAfter, 200));
    evals.set(`eval-optimal-s${s}`, digest(controlAfter, 100));
    metrics.set(
      `grpo-primed-s${s}`,
      Array.from({ length: 20 }, (_, i) => ({ type: 'grpo', step: i + 1, completion_length_mean: 100 + 5 * i })),
    );
  }
  evals.set('eval-primed-s0-noise', digest(primedAfter - 0.02, 200));
  return { evals, metrics, runs: { 'grpo-primed-s0': { kind: 'grpo', seconds: 3000 } }, steps: new Map() };
}

test('criteria: a primed gain of 40 points (x2.3) with a flat control meets 1, 2 and 9; a small gain misses them', () => {
  const met = new Map(r1ZeroCriteria(files(0.7, 0.32)).map((c) => [c.id, c]));
  assert.equal(met.get(1)!.met, true, met.get(1)!.value);
  assert.equal(met.get(2)!.met, true, met.get(2)!.value);
  assert.equal(met.get(9)!.met, true, met.get(9)!.value);
  assert.match(met.get(9)!.value, /; wrong-answer n\/a$/);
  const withWrong = files(0.7, 0.32);
  withWrong.evals.set('eval-base-wrong', digest(0.2, 100));
  withWrong.evals.set('eval-wrong-s0', digest(0.45, 150));
  assert.match(r1ZeroCriteria(withWrong).find((c) => c.id === 9)!.value, /; wrong-answer 25\.0% \(seed 0\)$/);
  assert.equal(met.get(12)!.met, true);
  assert.equal(met.get(10)!.met, undefined, 'no shipped-model file: not yet run');
  const missed = new Map(r1ZeroCriteria(files(0.4, 0.38)).map((c) => [c.id, c]));
  assert.equal(missed.get(1)!.met, false);
  assert.equal(missed.get(9)!.met, false, 'the control gains more than half the primed gain');
  const partial = files(0.7, 0.32);
  partial.evals.delete('eval-primed-s2');
  assert.equal(r1ZeroCriteria(partial).find((c) => c.id === 1)!.met, undefined, 'two of three seeds: not yet decided');
});

test('summary.json has the issue shape; the page is generated from the same files', () => {
  const f = files(0.7, 0.32);
  const s = r1ZeroSummary(f);
  assert.equal(s.arms.primed!.length, 3);
  assert.equal(s.arms.unprimed!.length, 3);
  const p0 = s.arms.primed![0]!;
  assert.equal(p0.pass1_before, 0.3);
  assert.equal(p0.pass1_after, 0.7);
  assert.equal(p0.length_after, 210);
  assert.equal(p0.false_claims_after, 0.01);
  assert.deepEqual(p0.length_by_tier_after, { 'arithmetic/4': 200, 'countdown/4': 210, 'countdown/5': 220 });
  const dir = mkdtempSync(join(tmpdir(), 'r1z-page-'));
  try {
    mkdirSync(join(dir, 'evals'));
    mkdirSync(join(dir, 'metrics'));
    for (const [n, d] of f.evals) writeFileSync(join(dir, 'evals', `${n}.json`), JSON.stringify(d));
    for (const [n, m] of f.metrics)
      writeFileSync(join(dir, 'metrics', `${n}.jsonl`), m.map((r) => `${JSON.stringify(r)}\n`).join(''));
    writeFileSync(join(dir, 'runs.json'), JSON.stringify(f.runs));
    const back = readR1ZeroFiles(dir);
    assert.deepEqual(r1ZeroCriteria(back), r1ZeroCriteria(f), 'the committed files give the same figures');
    const page = r1ZeroPage(back, ['curve-length.svg']);
    assert.match(page, /\| 1 \| held-out pass@1.*\| yes \|/);
    assert.match(page, /!\[curve-length.svg\]\(curve-length.svg\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check faults table: answer-cause claims per tier and their faults, n/a for digests without the counter', () => {
  const p: Problem = {
    task: 'countdown',
    key: 'countdown:15,16,39,83->45',
    prompt: 'Using the numbers [16, 83, 39, 15], create an equation that equals 45.',
    data: { numbers: [16, 83, 39, 15], target: 45 },
    answer: '((16 + 83) - 39) - 15',
    difficulty: 5,
    lang: 'en',
  };
  const slot = '<think>\nCheck: 45 = 60 - 15 = 60 - (99 - 39). Correct.\n</think> <answer>60 - (99 - 39)</answer>';
  const e = evaluation([result(p, [slot, `<think>\nok\n</think> <answer>${p.answer}</answer>`], [30, 20])], []);
  const d = digestEval(e, new Map([[p.key, p]]));
  const f: R1ZeroFiles = {
    evals: new Map([
      ['eval-base-primed', d],
      ['eval-old', digest(0.3, 100)],
    ]),
    metrics: new Map(),
    runs: {},
    steps: new Map(),
  };
  const table = checkFaultsTable(f, ['countdown/5']).join('\n');
  assert.match(table, /\| eval-base-primed \| 1 \| wrong slot 100\.0% \|/);
  assert.match(table, /\| eval-old \| n\/a \| n\/a \|/);
});
