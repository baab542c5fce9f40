/**
 * The R1-Zero corpus traces: over thousands of generated traces no search trace claims success for
 * a wrong equation and no written computation is wrong (the verification is real); the modes differ
 * in accuracy in the intended order; the control corpora are what the ablation needs (optimal path:
 * no candidates, no checks; wrong answers: the behaviours with a false claim); generation is
 * deterministic from the seed; arithmetic column steps are each right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeTrace, type TraceDials } from '../../src/data/reasoning-traces.js';
import { countBehaviours } from '../../src/eval/behaviours.js';
import { arithmeticLines } from '../../src/tasks/arithmetic-steps.js';
import { arithmetic } from '../../src/tasks/arithmetic.js';
import { countdown } from '../../src/tasks/countdown.js';
import { productText, searchTrace } from '../../src/tasks/countdown-search.js';
import { offTask, offTaskQuestionCount } from '../../src/tasks/off-task.js';
import { Rng } from '../../src/tasks/rng.js';
import { generateProblems } from '../../src/tasks/splits.js';
import type { Problem } from '../../src/tasks/types.js';

const only = (mode: string): TraceDials => ({
  countdown: { quick: 0, bounded: 0, full: 0, backward: 0, optimal: 0, [mode]: 1 },
  arithmetic: { direct: 0, columns: 0, checked: 1 },
  caught_slips: 0,
  wrong_answers: 0,
});
const reply = (reasoning: string, answer: string) => ` <think>\n${reasoning}\n</think> <answer>${answer}</answer>`;
const cdProblems = (count: number, difficulties: number[], seed = 3) =>
  generateProblems({ task: countdown, split: 'train', count, seed, difficulties, langs: ['en'] });

test('search traces never claim success for a wrong equation; every written computation is right', () => {
  const rng = new Rng(5);
  const dials: TraceDials = { ...only('full'), caught_slips: 0.3 };
  dials.countdown = { quick: 1, bounded: 1, full: 1, backward: 1, optimal: 1 };
  let claims = 0,
    caught = 0;
  for (const p of cdProblems(3000, [4, 5])) {
    const t = modeTrace(p, dials, rng);
    const b = countBehaviours(p, reply(t.reasoning, t.answer));
    assert.equal(b.correct, t.correct, `${p.key} ${t.mode}: the trace's own correctness flag`);
    assert.equal(b.falseClaim, false, `${p.key} ${t.mode}: false claim\n${t.reasoning}`);
    if (b.successClaim) claims++;
    // the only wrong computations are caught slips, each withdrawn by the check that caught it
    const slips = t.reasoning.split('\n').filter((l) => l.endsWith('Wrong, back.')).length;
    assert.equal(b.arithmeticSlips, slips, `${p.key} ${t.mode}\n${t.reasoning}`);
    assert.equal(b.retractions, slips);
    if (t.kind === 'corrected') caught++;
    // a trace that does not claim success says so, and its answer is then its closest candidate
    if (!b.successClaim && t.mode !== 'optimal') assert.match(t.reasoning, /No more tries\. Closest: /);
  }
  assert.ok(claims > 1500, `only ${claims} success claims`);
  assert.ok(caught > 200, `only ${caught} caught slips`);
});

test('mode accuracy rises with thoroughness, and the output tells the modes apart', () => {
  const rng = new Rng(1);
  const problems = cdProblems(600, [5], 8);
  const acc: Record<string, number> = {};
  const seen: Record<string, Set<string>> = {};
  for (const mode of ['quick', 'bounded', 'full', 'backward']) {
    let ok = 0;
    seen[mode] = new Set();
    for (const p of problems) {
      const t = modeTrace(p, only(mode), rng);
      ok += t.correct ? 1 : 0;
      seen[mode].add(countBehaviours(p, reply(t.reasoning, t.answer)).mode);
    }
    acc[mode] = ok / problems.length;
  }
  assert.ok(acc.quick! < 0.3, `quick ${acc.quick}`);
  assert.ok(acc.quick! + 0.2 < acc.bounded!, `quick ${acc.quick} vs bounded ${acc.bounded}`);
  assert.ok(acc.bounded! + 0.1 < acc.full!, `bounded ${acc.bounded} vs full ${acc.full}`);
  assert.ok(acc.full! + 0.05 < acc.backward!, `full ${acc.full} vs backward ${acc.backward}`);
  assert.ok(acc.backward! > 0.75, `backward ${acc.backward}`);
  assert.deepEqual([...seen.quick!].sort(), ['guess-quick', 'unchecked']);
  assert.ok(!seen.full!.has('unchecked') && !seen.full!.has('guess-quick'));
  assert.ok(seen.backward!.has('backward'));
});

test('the optimal-path control has no search and no check; the wrong-answer arm claims wrong solutions', () => {
  const rng = new Rng(2);
  const wrong: TraceDials = { ...only('full'), wrong_answers: 1 };
  wrong.countdown = { quick: 0, bounded: 1, full: 1, backward: 1, optimal: 0 };
  let wrongAnswers = 0;
  const problems = cdProblems(500, [4, 5]);
  for (const p of problems) {
    const o = modeTrace(p, only('optimal'), rng);
    const b = countBehaviours(p, reply(o.reasoning, o.answer));
    assert.deepEqual([b.candidates, b.verifications, b.backtracks, b.correct, b.mode], [0, 0, 0, true, 'steps']);
    const w = modeTrace(p, wrong, rng);
    const bw = countBehaviours(p, reply(w.reasoning, w.answer));
    if (!w.correct) wrongAnswers++;
    if (bw.successClaim) assert.equal(bw.falseClaim, !w.correct);
    assert.ok(bw.candidates > 0);
  }
  // a slip needs a failing candidate before the solution; most traces have one
  assert.ok(wrongAnswers > 0.7 * problems.length, `only ${wrongAnswers} wrong answers`);
});

test('traces are deterministic from the seed', () => {
  const dials: TraceDials = {
    countdown: { quick: 0.6, bounded: 0.15, full: 0.125, backward: 0.125, optimal: 0 },
    arithmetic: { direct: 0.5, columns: 0.25, checked: 0.25 },
    caught_slips: 0.1,
    wrong_answers: 0,
  };
  const run = () => {
    const rng = new Rng(4);
    return cdProblems(100, [4, 5]).map((p) => modeTrace(p, dials, rng).reasoning);
  };
  assert.deepEqual(run(), run());
});

/** Checks every column line of an arithmetic trace against the digits it names. */
function checkColumnLine(line: string): void {
  let m = /^Place \d+: (\d) ([+*]) (\d) \+ carry (\d) = (\d+), write (\d), carry (\d)\.$/.exec(line);
  if (m) {
    const [x, op, y, c, s, w, n] = [
      Number(m[1]),
      m[2],
      Number(m[3]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      Number(m[7]),
    ];
    assert.equal(s, op === '+' ? x + y + c : x * y + c, line);
    assert.equal(w, s % 10, line);
    assert.equal(n, Math.floor(s / 10), line);
    return;
  }
  m = /^Place \d+: (\d) - (\d) - (\d)( \(borrow 10\))? = (\d)(, borrow 1)?\.$/.exec(line);
  if (m) {
    const raw = Number(m[1]) - Number(m[2]) - Number(m[3]);
    assert.equal(Number(m[5]), m[4] ? raw + 10 : raw, line);
    assert.equal(m[4] !== undefined, raw < 0, line);
    return;
  }
  m = /^(\d+) ([-+*]) (\d+) = (-?\d+)\.$/.exec(line) ?? /^So (\d+) ([-+*]) (\d+) = (-?\d+)\.$/.exec(line);
  if (m) {
    const [a, b] = [BigInt(m[1]!), BigInt(m[3]!)];
    assert.equal(BigInt(m[4]!), m[2] === '+' ? a + b : m[2] === '-' ? a - b : a * b, line);
  }
}

test('arithmetic column traces: every step right, every mode ends with the true result', () => {
  const problems = generateProblems({
    task: arithmetic,
    split: 'train',
    count: 1500,
    seed: 6,
    difficulties: [4],
    langs: ['en'],
  });
  const ops = new Set<string>();
  for (const p of problems) {
    const a = BigInt(p.data.a as string),
      b = BigInt(p.data.b as string),
      op = p.data.op as '+' | '-' | '*';
    ops.add(`${op}${String(b).length}`);
    for (const mode of ['direct', 'columns', 'checked'] as const) {
      const lines = arithmeticLines(a, op, b, mode);
      for (const l of lines) checkColumnLine(l);
      const result = `${mode === 'direct' ? '' : 'So '}${a} ${op} ${b} = ${p.answer}.`;
      assert.ok(lines.includes(result), `${p.key} ${mode}: ${lines.join(' / ')}`);
      assert.equal(
        countBehaviours(p, reply(lines.join('\n'), p.answer)).mode,
        mode === 'checked' && op === '*' && b < 10n ? 'columns' : mode,
      );
    }
    assert.ok(arithmetic.verify(p, arithmetic.solve(p).answer));
  }
  // 2-digit x 2-digit products are in the level
  assert.ok(ops.has('*2') && ops.has('*1') && ops.has('+3') && ops.has('-2'), [...ops].join(' '));
  assert.equal(productText(47, 6, 282), '47 * 6 = 240 + 42 = 282');
  assert.equal(productText(108, 3, 324), '108 * 3 = 300 + 24 = 324');
});

test('search tiers: 3 and 4 numbers from 1-99, targets 10-100, every problem solved by the full search', () => {
  for (const [level, count] of [
    [4, 3],
    [5, 4],
  ] as const) {
    for (const p of cdProblems(300, [level], 9)) {
      const nums = p.data.numbers as number[];
      assert.equal(nums.length, count);
      assert.ok(nums.every((n) => n >= 1 && n <= 99));
      const t = p.data.target as number;
      assert.ok(t >= 10 && t <= 100);
      const s = countdown.solve(p);
      assert.ok(countdown.verify(p, s.answer), `${p.key}: ${s.answer}`);
      assert.match(p.prompt, /^Using the numbers \[[\d, ]+\], create an equation that equals \d+\. You can use basic/);
    }
  }
  const t = searchTrace([36, 55, 17], 74, { mode: 'full' });
  assert.equal(t.found && t.correct, true);
});

test('off-task questions: enough distinct ones for a held-out split of 50, disjoint from training', () => {
  assert.ok(offTaskQuestionCount() > 1000);
  const test50 = generateProblems({ task: offTask, split: 'test', count: 50, seed: 1 });
  const train = generateProblems({ task: offTask, split: 'train', count: 2000, seed: 1 });
  const held = new Set(test50.map((p: Problem) => p.key));
  assert.equal(held.size, 50);
  assert.ok(train.every((p) => !held.has(p.key)));
  assert.ok(test50.some((p) => /^(Hello|Hi|Hey|Good|Greetings)/.test(p.prompt)));
});
