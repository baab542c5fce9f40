/**
 * Where the final check of an answer-cause false claim goes wrong (src/eval/check-fault.ts): each
 * kind on hand-written checks of both grammars, the corpus' own checks (sound: no fault), and
 * through countBehaviours and the summary.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countBehaviours, summariseBehaviours } from '../../src/eval/behaviours.js';
import { checkFault, expressionValue, readCheckTerms } from '../../src/eval/check-fault.js';
import { searchTrace } from '../../src/tasks/countdown-search.js';
import type { Problem } from '../../src/tasks/types.js';

const numbers = [16, 83, 39, 15];
const reply = (check: string, answer: string) =>
  `<think>\nGoal 45 from 16 83 39 15.\n${check}\n</think> <answer>${answer}</answer>`;
const sound7 = 'Check: 45 = 60 - 15, 60 = 99 - 39: (99 - 39) - 15, 99 = 16 + 83: ((16 + 83) - 39) - 15. Correct.';
const sound6 = 'Check: 45 = 60 - 15 = (99 - 39) - 15 = ((16 + 83) - 39) - 15. Correct.';
const answer = '((16 + 83) - 39) - 15';

test('expressions are valued without eval, and both check grammars are read term by term', () => {
  assert.equal(expressionValue('((16 + 83) - 39) - 15'), 45);
  assert.equal(expressionValue('7 / 2'), 3.5);
  assert.ok(Number.isNaN(expressionValue('-5 + 1')), 'unary minus is not a countdown expression');
  assert.ok(Number.isNaN(expressionValue('process.exit()')));
  assert.deepEqual(readCheckTerms(sound7), [
    { term: '60 - 15' },
    { named: 60, step: '99 - 39', term: '(99 - 39) - 15' },
    { named: 99, step: '16 + 83', term: answer },
  ]);
  assert.deepEqual(readCheckTerms(sound6), [{ term: '60 - 15' }, { term: '(99 - 39) - 15' }, { term: answer }]);
  assert.equal(readCheckTerms('Check: 60 - 15 = 45 vs 45: 4 4, 5 5. Wrong, back.'), null);
  assert.equal(readCheckTerms('Check: 45 = 60 - 15, 60 is 99 - 39: (99 - 39) - 15. Correct.'), null);
});

test('each kind of check fault is named', () => {
  const cases: Array<[string, string, string]> = [
    // sound checks and the answer they end with: the claim would be true
    [sound7, answer, 'not false'],
    [sound6, answer, 'not false'],
    // the step claimed equal is written wrong
    ['Check: 45 = 61 - 15 = (99 - 38) - 15. Correct.', '(99 - 38) - 15', 'first term'],
    // the step that made 60 put in for 15
    ['Check: 45 = 60 - 15 = 60 - (99 - 39) = 60 - ((16 + 83) - 39). Correct.', '60 - ((16 + 83) - 39)', 'wrong slot'],
    // a step that makes none of the term's numbers
    ['Check: 45 = 60 - 15 = (98 - 39) - 15. Correct.', '(98 - 39) - 15', 'wrong step'],
    ['Check: 45 = 60 - 15, 60 = 99 - 39: (98 - 39) - 15. Correct.', '(98 - 39) - 15', 'wrong step'],
    // iteration 7: the named step does not make the number it names
    ['Check: 45 = 60 - 15, 60 = 98 - 39: (98 - 39) - 15. Correct.', '(98 - 39) - 15', 'named step wrong'],
    // iteration 7: the right named step put in for another number
    ['Check: 45 = 60 - 15, 60 = 99 - 39: 60 - (99 - 39). Correct.', '60 - (99 - 39)', 'named elsewhere'],
    // 15 became 16 as well as 60 being replaced
    ['Check: 45 = 60 - 15 = (99 - 39) - 16. Correct.', '(99 - 39) - 16', 'term rewritten'],
    // a sound check, and an answer that is not its last term
    [sound7, '(16 + 83) - (39 - 15)', 'answer differs'],
    // no final check: none at all, or only a caught slip's
    ['', answer, 'no check'],
    ['Check: 60 - 15 = 45 vs 45: 4 4, 5 5. Wrong, back.', answer, 'no check'],
  ];
  for (const [check, ans, want] of cases) assert.equal(checkFault(numbers, 45, reply(check, ans)), want, check);
  // a sound check over 15 where the board has 14: the answer uses a number the board lacks
  assert.equal(checkFault([16, 83, 39, 14], 45, reply(sound7, answer)), 'board');
  // the final check is the last passed one, after a caught slip's check
  const twoChecks = `Check: 99 - 39 = 61 vs 45: 6 4, no. Wrong, back.\n${sound6.replace('60 - 15 =', '61 - 15 =')}`;
  assert.equal(checkFault(numbers, 45, reply(twoChecks, answer)), 'first term');
});

test("the corpus' own final checks keep the target term by term", () => {
  const problems: Array<[number[], number]> = [
    [[36, 55, 17], 74],
    [[83, 65, 36, 22], 76],
    [[16, 83, 39, 15], 45],
    [[50, 82, 20], 12],
  ];
  let read = 0;
  for (const [ns, target] of problems)
    for (const mode of ['bounded', 'full', 'backward'] as const) {
      const t = searchTrace(ns, target, { mode });
      if (!t.found) continue;
      const text = `<think>\n${t.lines.join('\n')}\n</think> <answer>${t.answer}</answer>`;
      assert.equal(checkFault(ns, target, text), 'not false', `${mode}\n${t.lines.join('\n')}`);
      read++;
    }
  assert.ok(read >= 6, `at least 6 of the 12 searches find a solution (${read})`);
});

test('countBehaviours reads the check of an answer-cause false claim only, and the summary shares them', () => {
  const p: Problem = {
    task: 'countdown',
    key: 'countdown:15,16,39,83->45',
    prompt: 'Using the numbers [16, 83, 39, 15], create an equation that equals 45.',
    data: { numbers, target: 45 },
    answer,
    difficulty: 5,
    lang: 'en',
  };
  const right = countBehaviours(p, reply(sound7, answer));
  assert.deepEqual([right.falseClaim, right.checkFault], [false, null]);
  const slot = countBehaviours(p, reply('Check: 45 = 60 - 15 = 60 - (99 - 39). Correct.', '60 - (99 - 39)'));
  assert.deepEqual([slot.falseClaim, slot.falseClaimCause, slot.checkFault], [true, 'answer', 'wrong slot']);
  const differs = countBehaviours(p, reply(sound7, '(16 + 83) - (39 - 15)'));
  assert.equal(differs.checkFault, 'answer differs');
  // a slipped step is the search's fault, so its check is not read
  const slipped = countBehaviours(p, reply('16 + 83 = 98, left 98 39 15.\nCheck: 45 = 98 - 53. Correct.', '98 - 53'));
  assert.deepEqual([slipped.falseClaimCause, slipped.checkFault], ['arithmetic', null]);
  const s = summariseBehaviours([right, slot, differs, slot, slipped]);
  assert.equal(s.answerCauseClaims, 3);
  assert.equal(s.checkFaults['wrong slot'], 2 / 3);
  assert.equal(s.checkFaults['answer differs'], 1 / 3);
  assert.equal(s.checkFaults['first term'], 0);
});
