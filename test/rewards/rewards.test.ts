/**
 * Every reward on one table of hand-written responses (right, wrong, malformed tags, mixed
 * language, empty, huge), with the expected score of each reward written out per row.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { accuracyReward } from '../../src/rewards/accuracy.js';
import { rewardsByName, scoreResponses } from '../../src/rewards/combine.js';
import { formatReward } from '../../src/rewards/format.js';
import { countWords, languageConsistencyReward } from '../../src/rewards/language.js';
import { CHAT_REPLY_TOKENS, lengthReward, overlongPenalty } from '../../src/rewards/length.js';
import { lastTaggedAnswer, tinyZeroReward } from '../../src/rewards/tinyzero.js';
import type { RewardFn } from '../../src/rewards/types.js';
import type { Problem } from '../../src/tasks/types.js';

const countdown: Problem = {
  task: 'countdown',
  key: 'countdown:3,5,7->22',
  lang: 'en',
  difficulty: 1,
  prompt: 'Using the numbers [3, 5, 7], create an equation that equals 22.',
  answer: '3 * 5 + 7',
  data: { numbers: [3, 5, 7], target: 22 },
};
const arithmeticZh: Problem = {
  task: 'arithmetic',
  key: 'arithmetic:12*11',
  lang: 'zh',
  difficulty: 1,
  prompt: '计算 12 * 11。',
  answer: '132',
  data: { a: '12', b: '11', op: '*' },
};

const EOS = '<｜end▁of▁sentence｜>';
const huge = `<think>${'wait let me check 3 * 5 = 15. '.repeat(40000)}</think> <answer>3 * 5 + 7</answer>`;

// [label, problem, response, accuracy, format, language, tinyzero]
const TABLE: [string, Problem, string, number, number, number, number][] = [
  // Reasoning with numbers only has no words, so language consistency pays nothing for it.
  [
    'right, reasoning without words',
    countdown,
    '<think>3 * 5 = 15, 15 + 7 = 22</think> <answer>3 * 5 + 7</answer>',
    1,
    1,
    0,
    1,
  ],
  [
    'right with EOS and newlines',
    countdown,
    `\n<think>\nfive times three then add seven\n</think>\n<answer> (3 * 5) + 7 </answer>\n${EOS}`,
    1,
    1,
    1,
    1,
  ],
  ['wrong answer', countdown, '<think>try adding</think> <answer>3 + 5 + 7</answer>', 0, 1, 1, 0.1],
  ['number used twice', countdown, '<think>guess</think><answer>3 * 5 + 7 + 3 - 3</answer>', 0, 1, 1, 0.1],
  ['no think block', countdown, '<answer>3 * 5 + 7</answer>', 1, 0, 0, 1],
  // The task layer's parser still finds the tagged answer, so accuracy pays; format does not.
  ['think not closed', countdown, '<think>3 * 5 = 15 <answer>3 * 5 + 7</answer>', 1, 0, 0, 1],
  ['answer not closed', countdown, '<think>ok</think> <answer>3 * 5 + 7', 0, 0, 1, 0],
  ['tags swapped', countdown, '<answer>3 * 5 + 7</answer> <think>done</think>', 0, 0, 1, 1],
  [
    'two answers (last wrong)',
    countdown,
    '<think>a</think> <answer>3 * 5 + 7</answer> <answer>1</answer>',
    1,
    0,
    1,
    0.1,
  ],
  ['text after answer', countdown, '<think>a</think> <answer>3 * 5 + 7</answer> and more', 1, 0, 1, 1],
  ['text before think', countdown, 'Sure! <think>a</think> <answer>3 * 5 + 7</answer>', 1, 0, 1, 1],
  ['empty answer', countdown, '<think>hmm</think> <answer> </answer>', 0, 0, 1, 0.1],
  ['empty reasoning', countdown, '<think> </think> <answer>3 * 5 + 7</answer>', 1, 0, 0, 1],
  ['empty response', countdown, '', 0, 0, 0, 0],
  [
    'mixed language (en prompt)',
    countdown,
    '<think>先算 three times five 再加七</think> <answer>3 * 5 + 7</answer>',
    1,
    1,
    3 / 8,
    1,
  ],
  [
    'Chinese reasoning, zh prompt',
    arithmeticZh,
    '<think>十二乘十一等于一百三十二</think><answer>132</answer>',
    1,
    1,
    1,
    1,
  ],
  ['English reasoning, zh prompt', arithmeticZh, '<think>twelve times eleven</think><answer>132</answer>', 1, 1, 0, 1],
  ['half and half, zh prompt', arithmeticZh, '<think>乘法 times</think><answer>132</answer>', 1, 1, 2 / 3, 1],
  ['wrong number, zh', arithmeticZh, '<think>算一下</think><answer>131</answer>', 0, 1, 1, 0.1],
  ['huge', countdown, huge, 1, 1, 1, 1],
];

const FNS: [string, RewardFn, number][] = [
  ['accuracy', accuracyReward, 3],
  ['format', formatReward, 4],
  ['language', languageConsistencyReward, 5],
  ['tinyzero', tinyZeroReward, 6],
];

describe('rewards on hand-written responses', () => {
  for (const row of TABLE) {
    test(row[0], () => {
      for (const [name, fn, col] of FNS) {
        const got = fn({ problem: row[1], response: row[2] });
        assert.ok(Math.abs(got - (row[col] as number)) < 1e-12, `${name}: got ${got}, expected ${row[col]}`);
      }
    });
  }

  test('a huge response (1.2 MB) is scored by all rewards in well under a second', () => {
    const t0 = performance.now();
    for (const [, fn] of FNS) fn({ problem: countdown, response: huge });
    assert.ok(huge.length > 1_000_000);
    assert.ok(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
  });

  test('adversarial tags (many opens, no close) stay linear', () => {
    const bad = '<answer>'.repeat(200000) + '<think>'.repeat(100000);
    const t0 = performance.now();
    for (const [, fn] of FNS) assert.equal(fn({ problem: countdown, response: bad }), 0);
    assert.ok(performance.now() - t0 < 1000);
  });
});

describe('reward helpers', () => {
  test('countWords: Latin runs, Han characters, other scripts', () => {
    assert.deepEqual(countWords('Hello, world! 你好 Привет 42'), { en: 2, zh: 2, other: 1 });
    assert.deepEqual(countWords(''), { en: 0, zh: 0, other: 0 });
    assert.deepEqual(countWords('3 + 4 = 7'), { en: 0, zh: 0, other: 0 });
  });

  test('lastTaggedAnswer takes the last tagged answer', () => {
    assert.equal(lastTaggedAnswer('<answer>1</answer> x <answer> 2 </answer>'), '2');
    assert.equal(lastTaggedAnswer('<answer>1'), null);
    assert.equal(lastTaggedAnswer('</answer><answer>'), null);
  });

  test('weighted combination: total is the weighted sum, each term kept', () => {
    const rewards = rewardsByName({ accuracy: 1, format: 0.5 });
    const s = scoreResponses(rewards, [
      { problem: countdown, response: TABLE[1]![2] },
      { problem: countdown, response: TABLE[2]![2] },
      { problem: countdown, response: '' },
    ]);
    assert.deepEqual(Array.from(s.total), [1.5, 0.5, 0]);
    assert.deepEqual(Array.from(s.terms.get('accuracy')!), [1, 0, 0]);
    assert.deepEqual(Array.from(s.terms.get('format')!), [1, 1, 0]);
  });

  test('unknown reward names and bad weights are errors naming them', () => {
    assert.throws(
      () => rewardsByName({ acuracy: 1 }),
      /unknown reward "acuracy"; expected one of accuracy, format, language, length, tinyzero/,
    );
    assert.throws(() => rewardsByName({ format: Number.NaN }), /reward_weights.format: weight must be a finite number/);
    assert.throws(() => rewardsByName({}), /at least one/);
  });
});

const chat: Problem = {
  task: 'chat',
  key: 'chat:en:Hello!',
  lang: 'en',
  difficulty: 1,
  prompt: 'Hello!',
  answer: 'Hello! How can I help you today?',
  data: {},
};
const chatZh: Problem = {
  task: 'chat',
  key: 'chat:zh:你好！',
  lang: 'zh',
  difficulty: 1,
  prompt: '你好！',
  answer: '你好！',
  data: {},
};

describe("rewards on chat prompts (the final RL stage's general scenario)", () => {
  // [label, problem, response, accuracy, format, language]
  const CHAT: [string, Problem, string, number, number, number][] = [
    ['empty think, plain reply', chat, '<think>\n\n</think>\n\nHello! How can I help?', 0, 1, 1],
    ['short thought, plain reply, EOS', chat, `<think>a greeting</think> Hi! What shall we solve?${EOS}`, 0, 1, 1],
    ['answer tags are wrong here', chat, '<think></think><answer>Hello</answer>', 0, 0, 1],
    ['no reply after think', chat, '<think>hello</think>\n', 0, 0, 1],
    ['no think block (the reply still speaks English)', chat, 'Hello there!', 0, 0, 1],
    ['two think blocks', chat, '<think></think><think></think> Hi', 0, 0, 1],
    ['text before think', chat, 'Hi <think></think> there', 0, 0, 1],
    ['Chinese reply to a Chinese greeting', chatZh, '<think>\n\n</think>\n\n你好', 0, 1, 1],
    ['English reply to a Chinese greeting', chatZh, '<think>\n\n</think>\n\nhello friend', 0, 1, 0],
    ['empty', chat, '', 0, 0, 0],
  ];
  for (const [label, problem, response, acc, fmt, lang] of CHAT) {
    test(label, () => {
      assert.equal(accuracyReward({ problem, response }), acc);
      assert.equal(formatReward({ problem, response }), fmt);
      assert.ok(
        Math.abs(languageConsistencyReward({ problem, response }) - lang) < 1e-12,
        `language ${languageConsistencyReward({ problem, response })}`,
      );
    });
  }
});

describe('length reward (DAPO soft overlong punishment)', () => {
  test('free up to 3/4 of the budget, then linear to -1 at the budget', () => {
    assert.equal(overlongPenalty(0, 200), 0);
    assert.equal(overlongPenalty(150, 200), 0);
    assert.equal(overlongPenalty(175, 200), -0.5);
    assert.equal(overlongPenalty(190, 200), -0.8);
    assert.equal(overlongPenalty(200, 200), -1);
    assert.equal(overlongPenalty(500, 200), -1);
  });
  test("chat replies get the short budget, tasks the run's limit; unknown lengths score 0", () => {
    const m = 400;
    assert.equal(lengthReward({ problem: countdown, response: '', completionTokens: 300, maxCompletionTokens: m }), 0);
    assert.equal(
      lengthReward({ problem: countdown, response: '', completionTokens: 350, maxCompletionTokens: m }),
      -0.5,
    );
    assert.equal(
      lengthReward({ problem: chat, response: '', completionTokens: CHAT_REPLY_TOKENS * 0.75, maxCompletionTokens: m }),
      0,
    );
    assert.equal(
      lengthReward({
        problem: chat,
        response: '',
        completionTokens: CHAT_REPLY_TOKENS * 0.875,
        maxCompletionTokens: m,
      }),
      -0.5,
    );
    assert.equal(lengthReward({ problem: chat, response: '', completionTokens: 300, maxCompletionTokens: m }), -1);
    // a run whose limit is below the chat budget uses its own limit
    assert.equal(lengthReward({ problem: chat, response: '', completionTokens: 70, maxCompletionTokens: 80 }), -0.5);
    assert.equal(lengthReward({ problem: countdown, response: 'x'.repeat(10000) }), 0);
    assert.equal(
      rewardsByName({ length: 1 })[0]!.fn({
        problem: chat,
        response: '',
        completionTokens: CHAT_REPLY_TOKENS,
        maxCompletionTokens: m,
      }),
      -1,
    );
  });
});
