/**
 * The general-scenario evaluation (src/eval/general.ts, generalRows in src/eval/model-eval.ts):
 * deterministic held-out prompts, and rows scored on scripted completions: direct queries by their
 * exact verifier and the strict answer layout, chat prompts by the reply layout, with no accuracy.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { GroupSampler } from '../../src/eval/evaluate.js';
import { generalProblems } from '../../src/eval/general.js';
import { evaluateSampler, generalRows } from '../../src/eval/model-eval.js';
import { isTestKey } from '../../src/tasks/splits.js';

test('general prompts: counts, held-out direct queries, English, deterministic; bad counts are errors', () => {
  const ps = generalProblems({ chat: 3, direct: 5 }, 7);
  assert.deepEqual(
    ps.map((p) => p.task),
    ['direct', 'direct', 'direct', 'direct', 'direct', 'chat', 'chat', 'chat'],
  );
  assert.ok(ps.filter((p) => p.task === 'direct').every((p) => isTestKey(p.key)));
  assert.ok(ps.every((p) => p.lang === 'en'));
  assert.deepEqual(generalProblems({ chat: 3, direct: 5 }, 7), ps);
  assert.notDeepEqual(generalProblems({ chat: 3, direct: 5 }, 8), ps);
  assert.deepEqual(generalProblems({}, 1), []);
  assert.throws(() => generalProblems({ chat: -1 }, 1), /general.chat: expected a non-negative integer, got -1/);
});

test('general rows: direct accuracy and format, chat layout violations and no accuracy', async () => {
  const problems = generalProblems({ chat: 2, direct: 2 }, 3);
  const [d1, d2] = problems;
  // per prompt, 2 samples: the first direct query answered right then wrong-format; the second right twice;
  // the chat prompts: one good reply and one with answer tags, then two good replies
  const replies = new Map<string, string[]>([
    [d1!.prompt, [`<think>ok</think> <answer>${d1!.answer}</answer>`, d1!.answer]],
    [
      d2!.prompt,
      [`<think>ok</think> <answer>${d2!.answer}</answer>`, `<think>ok</think><answer>${d2!.answer}</answer>`],
    ],
  ]);
  const chatReplies = [
    ['<think>\n\n</think>\n\nHello! How can I help?', '<think></think> <answer>Hello</answer>'],
    ['<think></think> Hi there.', '<think>greet</think> Hello!'],
  ];
  let chatSeen = 0;
  const texts: string[] = [];
  const tokenizer = {
    eosId: 0 as number | undefined,
    vocabSize: 1000, // the scripted samplers ignore the sampling limit
    addedTokens: [],
    encode: (t: string) => [...t].map((c) => c.codePointAt(0)!),
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => texts[i - 1]!).join(''),
  };
  const sampler: GroupSampler = async (prompts, n) =>
    prompts.map((ids) => {
      const prompt = String.fromCodePoint(...ids);
      const hit = [...replies.keys()].find((q) => prompt.includes(q));
      const rs = hit !== undefined ? replies.get(hit)! : chatReplies[chatSeen++]!;
      assert.equal(rs.length, n);
      return {
        completions: rs.map((r) => {
          texts.push(r);
          return [texts.length];
        }),
        finished: rs.map(() => false),
      };
    });
  const r = await evaluateSampler(
    sampler,
    problems,
    { k: 2, temperature: 0.6, topP: 0.95, maxNewTokens: 32, template: 'r1-zero', seed: 1, limit: 2, greedy: false },
    tokenizer,
  );
  const rows = generalRows(problems, r.results, r.greedy);
  assert.deepEqual(
    rows.map((x) => x.task),
    ['direct', 'chat'],
  );
  const dr = rows[0]!,
    cr = rows[1]!;
  assert.equal(dr.pass_at_1, 1);
  assert.equal(dr.format_violation_rate, 0.25);
  assert.ok(Number.isNaN(cr.pass_at_1) && Number.isNaN(cr.cons_at_k) && Number.isNaN(cr.greedy_accuracy));
  assert.equal(cr.format_violation_rate, 0.25);
  assert.equal(cr.language_mixing_rate, 0);
});
