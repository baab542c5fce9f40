/** Rejection-sampling filters on hand-written responses, one per reason, and the non-reasoning set. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countOutcome, DEFAULT_FILTERS, emptyStats, rejectReason } from '../../src/pipeline/filters.js';
import { nonReasoningRecords } from '../../src/pipeline/non-reasoning.js';
import type { Problem } from '../../src/tasks/types.js';
import { parseCompletion } from '../../src/tokenizer/chat.js';

const en: Problem = {
  task: 'arithmetic',
  key: 'arithmetic:23*7',
  lang: 'en',
  difficulty: 1,
  prompt: 'Calculate 23 * 7.',
  answer: '161',
  data: { a: 23, b: 7, op: '*' },
};
const zh: Problem = { ...en, lang: 'zh', prompt: '计算 23 * 7。' };
const ok = '<think>\n23 * 7 = 161.\n</think>\n<answer>161</answer>';

test('each hand-written response is rejected for the expected reason, in the documented order', () => {
  const o = DEFAULT_FILTERS;
  const cases: [Problem, string, boolean, string | null][] = [
    [en, ok, true, null],
    [en, ok, false, 'truncated'],
    [en, '23 * 7 = 161. <answer>161</answer>', true, 'format'],
    [en, '<think>\nx\n</think>\n<answer>161</answer><answer>161</answer>', true, 'format'],
    [en, '<think>\n23 * 7 = 162.\n</think>\n<answer>162</answer>', true, 'incorrect'],
    [en, '<think>\n23 * 7 等于 161.\n</think>\n<answer>161</answer>', true, 'language_mixing'],
    [zh, '<think>\n23 * 7 = 161, so the answer is 161.\n</think>\n<answer>161</answer>', true, 'language_mixing'],
    [zh, '<think>\n设 x = 23 * 7，x = 161。\n</think>\n<answer>161</answer>', true, null],
    [en, `<think>\n${'23 * 7 is 161 and '.repeat(30)}\n</think>\n<answer>161</answer>`, true, 'overlong_paragraph'],
    [en, '<think>\n```\n23*7\n```\n</think>\n<answer>161</answer>', true, 'code_block'],
    [en, '<think>\nstep\nstep\nstep\n23 * 7 = 161.\n</think>\n<answer>161</answer>', true, 'repetition'],
  ];
  for (const [p, response, finished, want] of cases)
    assert.equal(rejectReason({ problem: p, response, finished }, o), want, JSON.stringify(response.slice(0, 60)));
});

test('duplicates of a kept response to the same problem are rejected; statistics count the first failing reason', () => {
  const seen = new Set<string>(),
    s = emptyStats();
  for (const r of [ok, ok.replace('\n23', '\n  23'), '<think>\n23 * 7 = 161.\n</think>\n<answer>162</answer>'])
    countOutcome(s, rejectReason({ problem: en, response: r, finished: true }, DEFAULT_FILTERS, seen));
  countOutcome(
    s,
    rejectReason({ problem: { ...en, key: 'other' }, response: ok, finished: true }, DEFAULT_FILTERS, seen),
  );
  assert.equal(s.candidates, 4);
  assert.equal(s.kept, 2);
  assert.equal(s.rejected.duplicate, 1);
  assert.equal(s.rejected.incorrect, 1);
});

test('non-reasoning records: deterministic, empty thinking for chat, exact direct answers', () => {
  const rs = nonReasoningRecords({ chat: 5, direct: 30 }, 3);
  assert.deepEqual(rs, nonReasoningRecords({ chat: 5, direct: 30 }, 3));
  assert.equal(rs.filter((r) => r.task === 'chat').length, 5);
  for (const r of rs.filter((x) => x.task === 'chat'))
    assert.equal(parseCompletion(r.messages[1]!.content).reasoning, '');
  for (const r of rs.filter((x) => x.task === 'direct')) {
    const q = r.messages[0]!.content,
      a = parseCompletion(r.messages[1]!.content).answer;
    const nums = (q.match(/\d+/g) ?? []).map(Number);
    if (q.startsWith('Which')) assert.equal(Number(a), Math.max(...nums));
    else if (q.startsWith('Sort'))
      assert.deepEqual(
        a.split(', ').map(Number),
        [...nums].sort((x, y) => x - y),
      );
    else assert.equal(Number(a), /"(\w+)"/.exec(q)![1]!.length);
  }
});

test('solver traces: readable R1 records, every answer verified, some with a self-correction', async () => {
  const { solverTraces } = await import('../../src/pipeline/data-stages.js');
  const { isCorrect } = await import('../../src/tasks/registry.js');
  const { trainProblems } = await import('../../src/pipeline/data-stages.js');
  const s = {
    solver_traces: { arithmetic: 20, countdown: 20 },
    corrected_share: 0.5,
    difficulties: {},
    languages: ['en' as const],
    seed: 4,
    filters: DEFAULT_FILTERS,
  };
  const r = solverTraces(s);
  assert.equal(r.stats.candidates, 40);
  assert.equal(r.records.length, r.stats.kept);
  const problems = new Map(trainProblems(s.solver_traces, { ...s, seed: 5 }).map((p) => [p.key, p]));
  for (const rec of r.records) {
    assert.ok(rec.messages[1]!.content.startsWith('<think>\n'));
    assert.ok(isCorrect(problems.get(rec.key)!, rec.messages[1]!.content), rec.key);
  }
  assert.ok(
    r.records.some((x) => /wait/i.test(x.messages[1]!.content)),
    'some traces correct themselves',
  );
});
