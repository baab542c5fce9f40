/**
 * Behaviour counters on hand-written responses: each case states what a reader counts in it, so a
 * counter that miscounts a candidate, a check, a backtrack or a false claim fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { behaviourReport, countBehaviours, summariseBehaviours } from '../../src/eval/behaviours.js';
import { comparisonText } from '../../src/tasks/countdown-search.js';
import type { Problem } from '../../src/tasks/types.js';

const cd = (numbers: number[], target: number): Problem => ({
  task: 'countdown',
  key: `countdown:${numbers.join(',')}->${target}`,
  lang: 'en',
  difficulty: 4,
  prompt: '',
  answer: '',
  data: { numbers, target },
});
const ar = (a: string, op: string, b: string, answer: string): Problem => ({
  task: 'arithmetic',
  key: `arithmetic:${a}${op}${b}`,
  lang: 'en',
  difficulty: 4,
  prompt: '',
  answer,
  data: { a, b, op },
});
const reply = (lines: string[], answer: string) => ` <think>\n${lines.join('\n')}\n</think> <answer>${answer}</answer>`;

/** A verified forward search in the grammar of the corpora before iteration 3. */
const VERIFIED = [
  'Goal 74 from 36 55 17.',
  '55 + 17 = 72, left 72 36.',
  '72 + 36 = 108, not 74.',
  '72 - 36 = 36, not 74.',
  'Back to 36 55 17.',
  '36 + 55 = 91, left 91 17.',
  '91 + 17 = 108, not 74.',
  '91 - 17 = 74, equals 74!',
  'Check (36 + 55) - 17: 36 + 55 = 91, 91 - 17 = 74. Correct.',
];

test('a verified forward search: candidates, a backtrack, one check, a true claim', () => {
  const b = countBehaviours(cd([36, 55, 17], 74), reply(VERIFIED, '(36 + 55) - 17'));
  assert.equal(b.candidates, 4);
  // 72 + 36 and 91 + 17 both give 108 but are different computations
  assert.equal(b.distinctCandidates, 4);
  assert.equal(b.backtracks, 1);
  assert.equal(b.verifications, 1);
  assert.equal(b.successClaim, true);
  assert.equal(b.falseClaim, false);
  assert.equal(b.correct, true);
  assert.equal(b.arithmeticSlips, 0);
  assert.equal(b.mode, 'verified');
});

test('iteration 3 grammar (goal before the decision) counts as the earlier one does', () => {
  // the same search with the goal written before each decision: "= 108 vs 74, no.", "vs 74, equal!"
  const now = VERIFIED.map((l) =>
    l
      .replace(/, not (\d+)\.$/, ' vs $1, no.')
      .replace(/, equals (\d+)!$/, ' vs $1, equal!')
      .replace(/\. Correct\.$/, ' vs 74. Correct.'),
  );
  assert.equal(now[7], '91 - 17 = 74 vs 74, equal!');
  const p = cd([36, 55, 17], 74);
  assert.deepEqual(
    countBehaviours(p, reply(now, '(36 + 55) - 17')),
    countBehaviours(p, reply(VERIFIED, '(36 + 55) - 17')),
  );
  assert.equal(countBehaviours(p, reply(now, '(36 + 55) - 17')).candidates, 4);
  // a claim of another number is no success claim; a caught slip is a retraction
  const slip = countBehaviours(
    cd([22, 99, 75], 24),
    reply(
      [
        'Goal 24 from 22 99 75.',
        '99 + 75 = 24 vs 24, equal!',
        'Check: 99 + 75 = 170 + 4 = 174 vs 24. Wrong, back.',
        '99 - 75 = 90 - 6 = 84 vs 25, equal!',
        'No more tries. Closest: 99 - 75 = 24 vs 24, no.',
      ],
      '99 - 75',
    ),
  );
  assert.deepEqual([slip.candidates, slip.retractions, slip.successClaim, slip.arithmeticSlips], [2, 1, false, 2]);
});

/** VERIFIED in the grammar of iteration 4: digit pairs before each decision. */
const IT4 = VERIFIED.map((l) =>
  l
    .replace(/, not (\d+)\.$/, (_, g: string) => `${comparisonText(Number(/= (\d+),/.exec(l)![1]), Number(g))}, no.`)
    .replace(/, equals (\d+)!$/, ' vs $1: 7 7, 4 4, equal!')
    .replace(/\. Correct\.$/, ' vs 74: 7 7, 4 4. Correct.'),
);

test('iteration 4 grammar (digit pairs before the decision) counts as the earlier ones do', () => {
  const now = IT4;
  assert.equal(now[2], '72 + 36 = 108 vs 74: 1 7, no.');
  assert.equal(now[7], '91 - 17 = 74 vs 74: 7 7, 4 4, equal!');
  const p = cd([36, 55, 17], 74);
  assert.deepEqual(
    countBehaviours(p, reply(now, '(36 + 55) - 17')),
    countBehaviours(p, reply(VERIFIED, '(36 + 55) - 17')),
  );
  // an "equal" after pairs that differ is still a claim: the counters read the decision, not the pairs
  const wrong = countBehaviours(p, reply([...now.slice(0, 3), '72 - 36 = 36 vs 74: 3 7, equal!'], '(55 + 17) - 36'));
  assert.deepEqual([wrong.candidates, wrong.successClaim, wrong.falseClaim], [2, true, true]);
  // a pair list that is not one (a letter) is no comparison
  assert.equal(countBehaviours(p, reply(['72 - 36 = 36 vs 74: 3 x, no.'], '')).candidates, 0);
});

test('iteration 5, 6 and 7 grammars (the final check lists the steps, or writes the solution back) count as iteration 4 does', () => {
  const it4 = IT4;
  const it5 = it4.map((l) => l.replace(/^Check \([^:]*: /, 'Check: '));
  assert.equal(it5.at(-1), 'Check: 36 + 55 = 91, 91 - 17 = 74 vs 74: 7 7, 4 4. Correct.');
  const p = cd([36, 55, 17], 74);
  const b = countBehaviours(p, reply(it5, '(36 + 55) - 17'));
  assert.deepEqual(b, countBehaviours(p, reply(it4, '(36 + 55) - 17')));
  // iteration 6: the check writes the solution back from the step claimed equal
  const it6 = it4.map((l) => (l.startsWith('Check (') ? 'Check: 74 = 91 - 17 = (36 + 55) - 17. Correct.' : l));
  assert.deepEqual(countBehaviours(p, reply(it6, '(36 + 55) - 17')), b);
  // iteration 7: each replaced number is named with its step first
  const it7 = it4.map((l) =>
    l.startsWith('Check (') ? 'Check: 74 = 91 - 17, 91 = 36 + 55: (36 + 55) - 17. Correct.' : l,
  );
  assert.deepEqual(countBehaviours(p, reply(it7, '(36 + 55) - 17')), b);
  assert.deepEqual([b.verifications, b.successClaim, b.falseClaim, b.mode], [1, true, false, 'verified']);
  // the same sound search answered with an expression its steps do not build: a false claim whose
  // first fault is the answer
  const misstated = countBehaviours(p, reply(it5, '(36 + 17) - 55'));
  assert.deepEqual([misstated.successClaim, misstated.falseClaim, misstated.falseClaimCause], [true, true, 'answer']);
});

test('a slip claimed as the solution is a false claim and an arithmetic slip', () => {
  const b = countBehaviours(
    cd([22, 99, 75], 46),
    reply(
      [
        'Goal 46 from 22 99 75.',
        '75 - 22 = 53, left 53 99.',
        '53 + 99 = 46, equals 46!',
        'Check (75 - 22) + 99: 75 - 22 = 53, 53 + 99 = 46. Correct.',
      ],
      '(75 - 22) + 99',
    ),
  );
  assert.equal(b.successClaim, true);
  assert.equal(b.falseClaim, true);
  assert.equal(b.correct, false);
  assert.equal(b.arithmeticSlips, 1);
  assert.equal(b.candidates, 1);
});

test('a quick guess claims nothing; repeated candidates count once', () => {
  const b = countBehaviours(
    cd([28, 88, 29], 89),
    reply(
      [
        'Goal 89 from 28 88 29.',
        '28 + 88 = 116, left 116 29.',
        '116 + 29 = 145, not 89.',
        '29 + 116 = 145, not 89.',
        'No more tries. Closest: (28 + 88) + 29 = 145, not 89.',
      ],
      '(28 + 88) + 29',
    ),
  );
  assert.equal(b.candidates, 2);
  assert.equal(b.distinctCandidates, 1);
  assert.equal(b.successClaim, false);
  assert.equal(b.falseClaim, false);
  assert.equal(b.gaveUp, true);
  assert.equal(b.mode, 'guess-quick');
});

test('backward chaining: subgoals, a caught slip is a verification and a backtrack', () => {
  const b = countBehaviours(
    cd([22, 99, 75], 46),
    reply(
      [
        'Goal 46 from 22 99 75.',
        'Work back from 46.',
        'Need 24 from 99 75, since 24 + 22 = 46.',
        '99 + 75 = 24, equals 24!',
        'Check: 99 + 75 = 174, not 24. Wrong, back.',
        '99 - 75 = 24, equals 24!',
        'Check (99 - 75) + 22: 99 - 75 = 24, 24 + 22 = 46. Correct.',
      ],
      '(99 - 75) + 22',
    ),
  );
  assert.equal(b.subgoals, 1);
  assert.equal(b.retractions, 1);
  assert.equal(b.verifications, 2);
  assert.equal(b.backtracks, 1);
  assert.equal(b.arithmeticSlips, 1);
  // claims about the subgoal 24 are not claims about the target
  assert.equal(b.successClaim, true);
  assert.equal(b.falseClaim, false);
  assert.equal(b.mode, 'backward');
  // a claim that is withdrawn and never renewed is no claim
  const withdrawn = countBehaviours(
    cd([22, 99, 75], 46),
    reply(
      [
        'Goal 46 from 22 99 75.',
        '53 + 99 = 46, equals 46!',
        'Check: 53 + 99 = 152, not 46. Wrong, back.',
        'No more tries.',
      ],
      '53 + 99',
    ),
  );
  assert.deepEqual([withdrawn.successClaim, withdrawn.falseClaim, withdrawn.retractions], [false, false, 1]);
});

test('the first corpus style: "That works." after a wrong sum is a false claim', () => {
  const b = countBehaviours(
    cd([16, 2, 5], 23),
    reply(
      ['Try 16 - 2 = 15, 5 + 15 = 23. That works.', 'So 5 + (16 - 2) = 23, using each number once.'],
      '5 + (16 - 2)',
    ),
  );
  assert.equal(b.successClaim, true);
  assert.equal(b.falseClaim, true);
  const none = countBehaviours(cd([16, 2, 5], 23), reply(['16 + 2 = 18.', '18 + 5 = 23.'], '(16 + 2) + 5'));
  assert.equal(none.mode, 'steps');
  assert.equal(none.correct, true);
  assert.equal(none.successClaim, false);
});

test('arithmetic modes: direct, columns, checked; a wrong product step is a slip', () => {
  const p = ar('47', '+', '385', '432');
  assert.equal(countBehaviours(p, reply(['47 + 385 = 825.'], '825')).mode, 'direct');
  assert.equal(countBehaviours(p, reply(['47 + 385 = 825.'], '825')).arithmeticSlips, 1);
  const cols = [
    '47 + 385, carry 0: 7 + 5 + 0 = 12, digits 2.',
    '4 + 38, carry 1: 4 + 8 + 1 = 13, digits 32.',
    '0 + 3, carry 1: 0 + 3 + 1 = 4, digits 432.',
  ];
  assert.equal(countBehaviours(p, reply(cols, '432')).arithmeticSlips, 0);
  // a wrong fact in a tape column, and a wrong split of a countdown step, are slips
  assert.equal(countBehaviours(p, reply(['4 + 38, carry 1: 4 + 8 + 1 = 12, digits 22.'], '422')).arithmeticSlips, 1);
  assert.equal(countBehaviours(p, reply(['36 + 55 = 80 + 11 = 81, not 74.'], '')).arithmeticSlips, 1);
  assert.equal(countBehaviours(p, reply([...cols, 'So 47 + 385 = 432.'], '432')).mode, 'columns');
  const checked = countBehaviours(
    p,
    reply([...cols, 'Check: 432 - 385 should be 47.', '432 - 385 = 47. Correct.'], '432'),
  );
  assert.equal(checked.mode, 'checked');
  assert.equal(checked.verifications, 1);
  assert.equal(checked.correct, true);
  // arithmetic checks are not countdown success claims
  assert.equal(checked.successClaim, false);
});

test('off-task replies are classified; the summary gives shares and per-mode accuracy', () => {
  const off: Problem = {
    task: 'off-task',
    key: 'off-task:hi',
    lang: 'en',
    difficulty: 1,
    prompt: 'Hi',
    answer: '',
    data: {},
  };
  const b = countBehaviours(
    off,
    reply(['This is not an arithmetic or countdown problem.'], 'I only solve arithmetic and countdown puzzles.'),
  );
  assert.equal(b.mode, 'off-task');
  assert.equal(b.correct, true);
  const made = countBehaviours(off, reply(['Try 1 + 2 = 3. That works.'], '1 + 2'));
  assert.equal(made.correct, false);
  const s = summariseBehaviours([
    countBehaviours(cd([1, 2, 3], 6), reply(['1 + 2 = 3, left 3 3.', '3 + 3 = 6, equals 6!'], '(1 + 2) + 3')),
    countBehaviours(cd([1, 2, 3], 6), reply(['1 + 2 = 3, left 3 3.', '3 + 3 = 7, equals 6!'], '(1 + 2) * 3')),
    countBehaviours(cd([1, 2, 3], 6), reply(['No more tries.'], '1 + 2 + 3 + 4')),
  ]);
  assert.equal(s.responses, 3);
  assert.equal(s.successClaims, 2 / 3);
  assert.equal(s.falseClaimShare, 0.5);
  assert.deepEqual(s.modes.unchecked, { share: 2 / 3, accuracy: 0.5 });
  assert.deepEqual(s.modes['guess-quick'], { share: 1 / 3, accuracy: 0 });
});

test('behaviour report: groups by tier, lengths by correctness, truncation at the limit', () => {
  const a = cd([36, 55, 17], 74),
    b = { ...cd([1, 2, 3, 4], 10), difficulty: 5 };
  const problems = new Map([
    [a.key, a],
    [b.key, b],
  ]);
  const good = reply(['91 - 17 = 74, equals 74!'], '(36 + 55) - 17');
  const bad = reply(['No more tries.'], '36 + 55 + 17');
  const rows = behaviourReport(
    [
      { key: a.key, responses: [good, bad], lengths: [30, 10] },
      { key: b.key, responses: [reply(['1 + 2 = 3, left 3 3 4.'], '1 + 2 + 3 + 4')], lengths: [64] },
    ],
    problems,
    64,
  );
  const byGroup = new Map(rows.map((r) => [r.group, r]));
  assert.deepEqual([...byGroup.keys()].sort(), ['all', 'countdown/4', 'countdown/5']);
  const t4 = byGroup.get('countdown/4')!;
  assert.deepEqual(
    [t4.responses, t4.meanLength, t4.meanLengthCorrect, t4.meanLengthWrong, t4.truncated],
    [2, 20, 30, 10, 0],
  );
  assert.equal(byGroup.get('countdown/5')!.truncated, 1);
  assert.equal(byGroup.get('all')!.responses, 3);
  assert.throws(() => behaviourReport([{ key: 'nope', responses: [], lengths: [] }], problems), /no held-out problem/);
});
