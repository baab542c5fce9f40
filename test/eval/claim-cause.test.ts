/**
 * The first fault behind a false countdown claim (src/eval/claim-cause.ts), on hand-written traces
 * of each kind, on a corpus trace (no fault: its claim is true), and through countBehaviours.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countBehaviours, summariseBehaviours } from '../../src/eval/behaviours.js';
import { claimCause } from '../../src/eval/claim-cause.js';
import { searchTrace } from '../../src/tasks/countdown-search.js';
import type { Problem } from '../../src/tasks/types.js';

const head = 'Goal 78 from 96 91 83.';

test('each kind of first fault is named', () => {
  const cases: Array<[string, string]> = [
    // a wrong result after a right step
    [`${head}\n96 + 91 = 180 + 7 = 187, left 187 83.\n187 + 83 = 260 + 10 = 280 vs 78: 2 7, no.`, 'arithmetic'],
    // the split is wrong even though the result is right
    [`${head}\n96 + 91 = 170 + 7 = 187, left 187 83.`, 'arithmetic'],
    // 91 - 96 is a step on numbers the board has, but it is computed as 5: wrong arithmetic
    [`${head}\n91 - 96 = 10 - 5 = 5, left 5 83.\n83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!`, 'arithmetic'],
    // 86 is not on the board
    [`${head}\n91 - 86 = 5, left 5 83.\n83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!`, 'board'],
    // the left list drops 83
    [`${head}\n96 - 91 = 5, left 5.`, 'board'],
    // a board the search never stood on
    [`${head}\n96 - 91 = 5, left 5 83.\n5 + 83 = 88 vs 78: 8 7, no.\nBack to 96 91 84.`, 'board'],
    // a value unlike the goal called equal, and a comparison with a number that is not the goal
    [`${head}\n96 - 91 = 5, left 5 83.\n5 + 83 = 88 vs 78: 8 7, equal!`, 'decision'],
    [`${head}\n96 - 91 = 5, left 5 83.\n5 + 83 = 88 vs 88: 8 8, 8 8, equal!`, 'decision'],
    // a sound search: what is false is the answer
    [
      `${head}\n96 - 91 = 5, left 5 83.\n83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!\nCheck: 96 - 91 = 5. Correct.`,
      'answer',
    ],
  ];
  for (const [trace, want] of cases) assert.equal(claimCause([96, 91, 83], 78, trace), want, trace);
});

test('corpus searches, backward chaining and backtracks included, replay without a fault', () => {
  const problems: Array<[number[], number]> = [
    [[36, 55, 17], 74],
    [[83, 65, 36, 22], 76],
    [[16, 83, 39, 15], 45],
    [[50, 82, 20], 12],
  ];
  for (const [numbers, target] of problems)
    for (const mode of ['bounded', 'full', 'backward'] as const) {
      const t = searchTrace(numbers, target, { mode });
      assert.equal(claimCause(numbers, target, t.lines.join('\n')), 'answer', `${mode}\n${t.lines.join('\n')}`);
    }
});

test('countBehaviours names the cause of a false claim only, and the summary shares them', () => {
  const p: Problem = {
    task: 'countdown',
    key: 'countdown:83,91,96->78',
    prompt: 'Using the numbers [96, 91, 83], create an equation that equals 78.',
    data: { numbers: [96, 91, 83], target: 78 },
    answer: '83 - (96 - 91)',
    difficulty: 4,
    lang: 'en',
  };
  const reply = (lines: string, answer: string) => ` <think>\n${head}\n${lines}\n</think> <answer>${answer}</answer>`;
  const found = '96 - 91 = 5, left 5 83.\n83 - 5 = 80 - 2 = 78 vs 78: 7 7, 8 8, equal!';
  const right = countBehaviours(p, reply(found, '83 - (96 - 91)'));
  assert.deepEqual([right.falseClaim, right.falseClaimCause], [false, null]);
  const misstated = countBehaviours(p, reply(found, '(96 - 91) - 83'));
  assert.deepEqual([misstated.falseClaim, misstated.falseClaimCause], [true, 'answer']);
  const slipped = countBehaviours(
    p,
    reply('96 - 91 = 6, left 6 83.\n83 - 6 = 78 vs 78: 7 7, 8 8, equal!', '(96 - 91) + 83'),
  );
  assert.deepEqual([slipped.falseClaim, slipped.falseClaimCause], [true, 'arithmetic']);
  const s = summariseBehaviours([right, misstated, slipped, misstated]);
  assert.deepEqual(s.falseClaimCauses, { arithmetic: 1 / 3, board: 0, decision: 0, answer: 2 / 3 });
});
