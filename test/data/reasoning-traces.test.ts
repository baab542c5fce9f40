/**
 * The R1-Zero corpus traces: over thousands of generated traces no search trace claims success for
 * a wrong equation and no written computation is wrong (the verification is real); the modes differ
 * in accuracy in the intended order; the control corpora are what the ablation needs (optimal path:
 * no candidates, no checks; wrong answers: the behaviours with a false claim); generation is
 * deterministic from the seed; arithmetic tape columns are each right.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { modeTrace, type TraceDials } from '../../src/data/reasoning-traces.js';
import { countBehaviours } from '../../src/eval/behaviours.js';
import { arithmeticLines } from '../../src/tasks/arithmetic-steps.js';
import { arithmetic } from '../../src/tasks/arithmetic.js';
import { countdown } from '../../src/tasks/countdown.js';
import { comparisonText, differenceText, productText, searchTrace, sumText } from '../../src/tasks/countdown-search.js';
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
    // every comparison writes the goal, then the digit pairs up to the first that differs, then the
    // decision, which is "equal" exactly when the written value is the goal (iteration 4); the final
    // check writes the solution back and compares nothing (iterations 6 and 7, the next test)
    for (const line of t.reasoning.split('\n')) {
      assert.doesNotMatch(line, /, (not|equals) \d+[.!]$/, `${p.key} ${t.mode}: ${line}`);
      const c = /= (-?\d+)( vs (\d+): .*?)(, no\.|, equal!|\. Correct\.|\. Wrong, back\.)$/.exec(line);
      const final = /^Check: \d+ = [^:]*(, \d+ = [^:]*: [^:]*)*\. Correct\.$/.test(line);
      if (t.mode !== 'optimal' && /^(\d+ [-+*/] \d+ = |Check|No more)/.test(line) && !/, left /.test(line) && !final)
        assert.ok(c, `${p.key} ${t.mode}: no comparison in ${line}`);
      if (!c) continue;
      assert.equal(c[2], comparisonText(Number(c[1]), Number(c[3])), line);
      assert.equal(c[1] === c[3], c[4] === ', equal!' || c[4] === '. Correct.', line);
    }
  }
  assert.ok(claims > 1300, `only ${claims} success claims`);
  assert.ok(caught > 200, `only ${caught} caught slips`);
});

/**
 * The steps a check can name, in order: each state's step ("99 - 39 = 60, left 60 15."), each step
 * claimed equal to a goal, and each subgoal's reason ("since 57 + 17 = 74."), as "a op b" and the
 * value written for it. Failed candidates are no steps of any solution.
 */
function writtenSteps(lines: readonly string[]): Array<{ head: string; v: number }> {
  const out: Array<{ head: string; v: number }> = [];
  for (const l of lines) {
    const s =
      /^(\d+ [-+*/] \d+) = (?:[^,]* = )?(\d+)(?:, left .*| vs \d+: .*, equal!)$/.exec(l) ??
      /since (\d+ [-+*/] \d+) = (?:.* = )?(\d+)\.$/.exec(l);
    if (s) out.push({ head: s[1]!, v: Number(s[2]) });
  }
  return out;
}

/**
 * Reads a final check the way the model has to write it: the first term is a step written above
 * (the one claimed equal, or a subgoal's reason); each next term names one number of the one before
 * with "n = a op b", the latest step above whose result is n, then writes the term before with that
 * n replaced by "(a op b)". Returns the last term and how many names took a step other than the
 * latest one with that result.
 */
function readCheck(lines: readonly string[], target: number): { answer: string; notLatest: number } {
  const check = lines.at(-1)!;
  const m = /^Check: (\d+) = (.*)\. Correct\.$/.exec(check);
  assert.ok(m, `not a final check: ${check}`);
  assert.equal(Number(m[1]), target, check);
  const [first, ...rest] = m[2]!.split(', ');
  const steps = writtenSteps(lines.slice(0, -1));
  assert.ok(
    steps.some((s) => s.head === first),
    `the first term ${first} is no step above\n${lines.join('\n')}`,
  );
  let notLatest = 0,
    prev = first!;
  for (const part of rest) {
    const p = /^(\d+) = (\d+ [-+*/] \d+): (.*)$/.exec(part);
    assert.ok(p, `${part}: not "n = a op b: term"\n${lines.join('\n')}`);
    const [n, head, cur] = [Number(p[1]), p[2]!, p[3]!];
    const made = steps.filter((s) => s.head === head && s.v === n);
    assert.ok(made.length > 0, `${n} = ${head}: no step above makes it\n${lines.join('\n')}`);
    const latest = [...steps].reverse().find((s) => s.v === n)!;
    if (latest.head !== head) notLatest++;
    // the named number is replaced where it stands in the term before
    const replaced = [...prev.matchAll(/\d+/g)]
      .filter((x) => Number(x[0]) === n)
      .map((x) => `${prev.slice(0, x.index)}(${head})${prev.slice(x.index! + x[0].length)}`);
    assert.ok(replaced.includes(cur), `${prev} -> ${part}: not ${prev} with its ${n} replaced by (${head})`);
    prev = cur;
  }
  return { answer: prev, notLatest };
}

test('a final check writes the solution back from the step claimed equal, naming each replaced number, and its last term is the answer (iteration 7)', () => {
  const rng = new Rng(6);
  const dials: TraceDials = { ...only('full'), caught_slips: 0.3 };
  dials.countdown = { quick: 0, bounded: 1, full: 1, backward: 1, optimal: 0 };
  let checks = 0,
    replacements = 0,
    notLatest = 0;
  for (const p of cdProblems(1500, [4, 5])) {
    const t = modeTrace(p, dials, rng);
    const lines = t.reasoning.split('\n');
    const finals = lines.filter((l) => l.startsWith('Check') && l.endsWith('. Correct.'));
    if (!t.correct) {
      assert.equal(finals.length, 0, `${p.key}: a check on a trace without a solution`);
      continue;
    }
    assert.equal(finals.length, 1, `${p.key} ${t.mode}\n${t.reasoning}`);
    assert.equal(lines.at(-1), finals[0], 'the check is the last line, right before the answer');
    const r = readCheck(lines, (p.data as { target: number }).target);
    assert.equal(r.answer, t.answer, `${p.key} ${t.mode}\n${t.reasoning}`);
    checks++;
    replacements += finals[0]!.split(', ').length - 1;
    notLatest += r.notLatest;
  }
  assert.ok(checks > 900, `only ${checks} checked solutions`);
  // the lookup "the latest step with that result" is the right one nearly always
  assert.ok(replacements > checks, `only ${replacements} replacements`);
  assert.ok(notLatest / replacements < 0.02, `${notLatest} of ${replacements} replacements are not the latest step`);
  // hand-written: an inner step on the right, and two made operands
  const trace = (...l: string[]) => ['Goal 78 from 96 91 83.', ...l];
  assert.equal(
    readCheck(
      trace(
        '96 - 91 = 5, left 5 83.',
        '83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!',
        'Check: 78 = 83 - 5, 5 = 96 - 91: 83 - (96 - 91). Correct.',
      ),
      78,
    ).answer,
    '83 - (96 - 91)',
  );
  assert.throws(
    () => readCheck(trace('96 - 91 = 5, left 5 83.', 'Check: 78 = 83 - 5, 5 = 96 - 90: 83 - (96 - 90). Correct.'), 78),
    /no step above/,
  );
  const nested = searchTrace([16, 83, 39, 15], 45, { mode: 'full' });
  assert.equal(
    nested.lines.at(-1),
    'Check: 45 = 60 - 15, 60 = 99 - 39: (99 - 39) - 15, 99 = 16 + 83: ((16 + 83) - 39) - 15. Correct.',
  );
  assert.equal(nested.answer, '((16 + 83) - 39) - 15');
  const pairs = searchTrace([61, 59, 5, 27], 15, { mode: 'full', budget: 1000 });
  assert.equal(
    pairs.lines.at(-1),
    'Check: 15 = 135 - 120, 135 = 5 * 27: (5 * 27) - 120, 120 = 61 + 59: (5 * 27) - (61 + 59). Correct.',
  );
  assert.equal(pairs.answer, '(5 * 27) - (61 + 59)');
  const back = searchTrace([36, 55, 17], 74, { mode: 'backward' });
  assert.equal(back.lines.at(-1), 'Check: 74 = 38 + 36, 38 = 55 - 17: (55 - 17) + 36. Correct.');
  // a number named that the term before does not hold is refused
  assert.throws(
    () =>
      readCheck(
        trace(
          '96 - 91 = 5, left 5 83.',
          '83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!',
          'Check: 78 = 83 - 5, 5 = 96 - 91: (96 - 91) - 5. Correct.',
        ),
        78,
      ),
    /not 83 - 5 with its 5 replaced/,
  );
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
  // 600 problems: a share's standard error is at most 2 points
  assert.ok(acc.bounded! + 0.1 < acc.full!, `bounded ${acc.bounded} vs full ${acc.full}`);
  // iteration 3 (children in a fixed order): backward chaining is as thorough as the full search,
  // not more; both far above the bounded one
  assert.ok(acc.bounded! + 0.1 < acc.backward!, `bounded ${acc.bounded} vs backward ${acc.backward}`);
  assert.ok(acc.backward! > 0.5, `backward ${acc.backward}`);
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

/**
 * Checks the lines of an arithmetic trace: every tape column against the digits it names and the
 * column before it (the operands lose their last digit, the carry or borrow and the digits carry
 * over), and every one-line result.
 */
function checkTapeLines(lines: readonly string[]): void {
  const n = BigInt;
  type Column = { op: string; x: bigint; y: bigint; next: number; digits: string };
  const tape: { prev: Column | null } = { prev: null };
  for (const line of lines) {
    const m = /^(\d+) ([-+*]) (\d+), (carry|borrow) (\d+): (.*), digits (\d+)\.$/.exec(line);
    if (!m) {
      tape.prev = null;
      const r = /^(?:So )?(\d+) ([-+*]) (\d+) = (-?\d+)\.$/.exec(line);
      if (r) {
        const [a, b] = [n(r[1]!), n(r[3]!)];
        assert.equal(n(r[4]!), r[2] === '+' ? a + b : r[2] === '-' ? a - b : a * b, line);
      }
      continue;
    }
    const [op, x, y, c, facts, digits] = [m[2]!, n(m[1]!), n(m[3]!), Number(m[5]), m[6]!, m[7]!];
    const [dx, dy] = [Number(x % 10n), Number(y % 10n)];
    const before = tape.prev?.op === op ? tape.prev : null;
    if (before) {
      assert.deepEqual([x, y, c], [before.x / 10n, op === '*' ? before.y : before.y / 10n, before.next], line);
      assert.ok(digits.endsWith(before.digits) && digits.length > before.digits.length, line);
    } else assert.equal(c, 0, `${line}: a tape starts with no carry or borrow`);
    let next: number, written: number;
    if (op === '+') {
      assert.equal(facts, `${dx} + ${dy} + ${c} = ${dx + dy + c}`, line);
      [written, next] = [dx + dy + c, dx + dy + c >= 10 ? 1 : 0];
    } else if (op === '-') {
      const low = dy + c,
        top = dx < low ? dx + 10 : dx;
      assert.equal(facts, `${dy} + ${c} = ${low}, ${top} - ${low} = ${top - low}, borrow ${dx < low ? 1 : 0}`, line);
      [written, next] = [top - low, dx < low ? 1 : 0];
    } else {
      const p = dx * Number(y);
      assert.equal(facts, `${dx} * ${y} = ${p}, ${p} + ${c} = ${p + c}`, line);
      [written, next] = [p + c, Math.floor((p + c) / 10)];
    }
    // the last column writes its whole result, the others their units digit
    const end: boolean = op === '-' ? x < 10n : x < 10n && (op === '*' || y < 10n);
    assert.equal(
      digits.slice(0, digits.length - (before ? before.digits.length : 0)),
      String(end ? written : written % 10),
      line,
    );
    tape.prev = { op, x, y, next, digits };
  }
}

test('arithmetic tapes: every column right and continued from the one before, every mode ends with the true result', () => {
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
      checkTapeLines(lines);
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
  assert.equal(sumText(36, 55), '36 + 55 = 80 + 11 = 91');
  assert.equal(sumText(36, 52), '36 + 52 = 88');
  assert.equal(sumText(4, 36), '4 + 36 = 30 + 10 = 40');
  assert.equal(sumText(4, 5), '4 + 5 = 9');
  assert.equal(differenceText(91, 17), '91 - 17 = 80 - 6 = 74');
  assert.equal(differenceText(65, 23), '65 - 23 = 42');
  assert.equal(differenceText(40, 7), '40 - 7 = 40 - 7 = 33');
  assert.equal(differenceText(8, 3), '8 - 3 = 5');
  // digit pairs from the left up to the first that differs; "-" where the shorter number has no digit
  assert.equal(comparisonText(74, 74), ' vs 74: 7 7, 4 4');
  assert.equal(comparisonText(108, 74), ' vs 74: 1 7');
  assert.equal(comparisonText(72, 74), ' vs 74: 7 7, 2 4');
  assert.equal(comparisonText(740, 74), ' vs 74: 7 7, 4 4, 0 -');
  assert.equal(comparisonText(7, 74), ' vs 74: 7 7, - 4');
  assert.equal(comparisonText(5, 5), ' vs 5: 5 5');
  assert.deepEqual(arithmeticLines(963n, '*', 25n, 'columns'), [
    '963 * 25 = 963 * 5 + 963 * 20.',
    '963 * 5, carry 0: 3 * 5 = 15, 15 + 0 = 15, digits 5.',
    '96 * 5, carry 1: 6 * 5 = 30, 30 + 1 = 31, digits 15.',
    '9 * 5, carry 3: 9 * 5 = 45, 45 + 3 = 48, digits 4815.',
    '963 * 5 = 4815.',
    '963 * 2, carry 0: 3 * 2 = 6, 6 + 0 = 6, digits 6.',
    '96 * 2, carry 0: 6 * 2 = 12, 12 + 0 = 12, digits 26.',
    '9 * 2, carry 1: 9 * 2 = 18, 18 + 1 = 19, digits 1926.',
    '963 * 2 = 1926.',
    '963 * 20 = 19260.',
    '4815 + 19260, carry 0: 5 + 0 + 0 = 5, digits 5.',
    '481 + 1926, carry 0: 1 + 6 + 0 = 7, digits 75.',
    '48 + 192, carry 0: 8 + 2 + 0 = 10, digits 075.',
    '4 + 19, carry 1: 4 + 9 + 1 = 14, digits 4075.',
    '0 + 1, carry 1: 0 + 1 + 1 = 2, digits 24075.',
    '4815 + 19260 = 24075.',
    'So 963 * 25 = 24075.',
  ]);
  assert.deepEqual(arithmeticLines(652n, '-', 645n, 'columns'), [
    '652 - 645, borrow 0: 5 + 0 = 5, 12 - 5 = 7, borrow 1, digits 7.',
    '65 - 64, borrow 1: 4 + 1 = 5, 5 - 5 = 0, borrow 0, digits 07.',
    '6 - 6, borrow 0: 6 + 0 = 6, 6 - 6 = 0, borrow 0, digits 007.',
    'So 652 - 645 = 7.',
  ]);
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
