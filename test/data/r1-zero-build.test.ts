/**
 * `data build` with the R1-Zero corpus dials at a small size: mode traces for the search tiers and
 * the column level (other problems keep the first corpus' traces), the chat-layout share, bare
 * prompts, the off-task questions and their held-out split; the token-length table over the result;
 * the step kinds the pilot's accuracy table groups tokens by.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset, type CorpusDoc } from '../../src/data/build.js';
import { parseDataConfig } from '../../src/data/config.js';
import { readJsonl } from '../../src/data/jsonl.js';
import { corpusLengths, lengthStats } from '../../src/data/lengths.js';
import { lineKind, responseSpan, verdictOf } from '../../src/eval/step-accuracy.js';
import { renderR1Zero } from '../../src/tokenizer/chat.js';
import { OFF_TASK_REPLY } from '../../src/tasks/off-task.js';
import { ASSISTANT, BOS, EOS } from '../../src/tokenizer/special-tokens.js';
import type { Problem } from '../../src/tasks/types.js';

test('R1-Zero corpus: mode traces, chat layout share, bare prompts, off-task questions, lengths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'r1z-'));
  try {
    const config = parseDataConfig({
      out: dir,
      seed: 3,
      languages: ['en'],
      tasks: {
        countdown: { train: 300, test: 40, difficulties: [1, 4, 5] },
        arithmetic: { train: 200, test: 40, difficulties: [4] },
      },
      traces: {
        countdown: { quick: 0.5, full: 0.25, backward: 0.25 },
        arithmetic: { direct: 0.5, checked: 0.5 },
        caught_slips: 0.2,
      },
      chat_layout: 0.4,
      bare_prompts: 0.5,
      off_task: { train: 60, test: 20 },
      tokenizer: { train: { vocab_size: 400, digits: 'single' } },
    });
    const s = buildDataset(config);
    const docs = readJsonl(join(dir, 'corpus.jsonl')) as CorpusDoc[];
    assert.equal(docs.length, 560);
    // level-1 countdown keeps the first corpus' "Try ..." traces; levels 4-5 get modes
    const level1 = docs.filter((d) => d.task === 'countdown' && d.mode === undefined);
    assert.ok(level1.length > 50 && level1.every((d) => /Try /.test(d.text)));
    assert.deepEqual(Object.keys(s.modes!).sort(), ['arithmetic/4', 'countdown/4', 'countdown/5']);
    assert.deepEqual(Object.keys(s.modes!['countdown/5']!).sort(), ['backward', 'full', 'quick']);
    assert.deepEqual(Object.keys(s.modes!['arithmetic/4']!).sort(), ['checked', 'direct']);
    const q = s.modes!['countdown/5']!.quick!,
      f = s.modes!['countdown/5']!.full!;
    assert.ok(q.correct / q.docs < f.correct / f.docs, 'quick traces are less often right than full ones');
    // chat layout: BOS, the user turn, the assistant turn; no EOS in the text (the shards add it)
    const chat = docs.filter((d) => d.layout === 'chat');
    assert.equal(chat.length, s.chat_layout);
    assert.ok(chat.length > 0.3 * docs.length && chat.length < 0.5 * docs.length, `${chat.length} chat documents`);
    for (const d of chat) assert.ok(d.text.startsWith(BOS) && d.text.includes(ASSISTANT) && !d.text.endsWith(EOS));
    assert.ok(docs.filter((d) => !d.layout).every((d) => d.text.startsWith('A conversation between User')));
    // bare prompts only for arithmetic, about half of them
    const bare = docs.filter((d) => d.task === 'arithmetic' && !d.text.includes('Show your work')).length;
    assert.ok(bare > 60 && bare < 140, `${bare} bare arithmetic prompts`);
    assert.ok(docs.filter((d) => d.task === 'countdown').every((d) => d.text.includes('Show your work')));
    // off-task: training questions in the corpus with the honest reply; a disjoint held-out file
    const off = docs.filter((d) => d.task === 'off-task');
    assert.equal(off.length, 60);
    assert.ok(off.every((d) => d.text.includes(OFF_TASK_REPLY)));
    const heldOut = readJsonl(join(dir, 'test', 'off-task.jsonl')) as Problem[];
    assert.equal(heldOut.length, 20);
    const trainKeys = new Set(off.map((d) => d.key));
    assert.ok(heldOut.every((p) => !trainKeys.has(p.key)));
    // lengths: every mode group is there, and its percentiles are ordered
    const groups = corpusLengths(dir);
    const names = groups.map((g) => g.group);
    for (const g of ['all', 'countdown/4/quick', 'countdown/5/full', 'arithmetic/4/direct', 'off-task'])
      assert.ok(names.includes(g), `${g} missing from ${names.join(' ')}`);
    for (const g of groups) {
      const d = g.document;
      assert.ok(d.p50 <= d.p90 && d.p90 <= d.p99 && d.p99 <= d.max && g.response.max < d.max, g.group);
    }
    const direct = groups.find((g) => g.group === 'arithmetic/4/direct')!;
    const checked = groups.find((g) => g.group === 'arithmetic/4/checked')!;
    assert.ok(direct.response.mean * 3 < checked.response.mean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('length stats use nearest-rank percentiles', () => {
  assert.deepEqual(lengthStats([5, 1, 4, 2, 3, 10, 9, 8, 7, 6]), {
    docs: 10,
    mean: 5.5,
    p50: 5,
    p90: 9,
    p99: 10,
    max: 10,
  });
  assert.deepEqual(lengthStats([]), { docs: 0, mean: 0, p50: 0, p90: 0, p99: 0, max: 0 });
});

test('step kinds of trace lines', () => {
  const cases: Array<[string, string]> = [
    ['481 + 1926, carry 0: 1 + 6 + 0 = 7, digits 75.', 'add-column'],
    ['65 - 46, borrow 1: 6 + 1 = 7, 15 - 7 = 8, borrow 1, digits 87.', 'sub-column'],
    ['96 * 5, carry 1: 6 * 5 = 30, 30 + 1 = 31, digits 15.', 'mul-digit'],
    ['347 * 56 = 347 * 6 + 347 * 50.', 'split'],
    ['347 * 6 = 2082.', 'partial-product'],
    ['347 * 50 = 17350.', 'partial-product'],
    ['2082 + 17350 = 19432.', 'sum'],
    ['So 347 * 56 = 19432.', 'result'],
    ['1275 - 921 = 354. Correct.', 'check-result'],
    ['91 + 17 = 100 + 8 = 108 vs 74, no.', 'cd-add'],
    ['99 - 75 = 20 + 4 = 24 vs 24, equal!', 'cd-sub'],
    ['91 + 17 = 100 + 8 = 108 vs 74: 1 7, no.', 'cd-add'],
    ['91 - 17 = 80 - 6 = 74 vs 74: 7 7, 4 4, equal!', 'cd-sub'],
    ['47 * 6 = 240 + 42 = 282 vs 74, no.', 'cd-mul'],
    ['91 + 17 = 108, not 74.', 'cd-add'],
    ['45 / 9 = 5, left 5 3.', 'cd-div'],
    ['Back to 36 55 17.', 'cd-back'],
    ['Need 57 from 36 55, since 57 + 17 = 74.', 'cd-subgoal'],
    ['Goal 74 from 36 55 17.', 'other'],
  ];
  for (const [line, kind] of cases) assert.equal(lineKind(line), kind, line);
});

test('the decision of a comparison is its own kind, split by what was decided', () => {
  const cases: Array<[string, { at: number; kind: string } | null]> = [
    ['91 + 17 = 100 + 8 = 108 vs 74: 1 7, no.', { at: 35, kind: 'verdict-no' }],
    ['91 - 17 = 74 vs 74: 7 7, 4 4, equal!', { at: 29, kind: 'verdict-equal' }],
    ['Check (36 + 55) - 17: 36 + 55 = 91, 91 - 17 = 74 vs 74: 7 7, 4 4. Correct.', { at: 65, kind: 'verdict-correct' }],
    ['Check: 36 + 55 = 91, 91 - 17 = 74 vs 74: 7 7, 4 4. Correct.', { at: 50, kind: 'verdict-correct' }],
    // iteration 6's final check writes the solution back and compares nothing: no decision
    ['Check: 74 = 91 - 17 = (36 + 55) - 17. Correct.', null],
    ['Check: 99 + 75 = 174 vs 24: 1 2. Wrong, back.', { at: 32, kind: 'verdict-wrong' }],
    ['91 + 17 = 108 vs 74, no.', { at: 20, kind: 'verdict-no' }],
    ['36 + 55 = 91, left 91 17.', null],
    ['So 1 + 2 = 3.', null],
  ];
  for (const [line, want] of cases) {
    assert.deepEqual(verdictOf(line), want, line);
    if (want) assert.match(line.slice(want.at), /^ (no|equal|Correct|Wrong)/);
  }
});

test('the scored span is the reasoning of the response, not the tags the template and prompt mention', () => {
  const prompt =
    'Calculate 1 + 2. Show your work in <think> </think> tags and give the final number in <answer> </answer> tags.';
  const text = `${renderR1Zero(prompt)} <think>\nSo 1 + 2 = 3.\n</think> <answer>3</answer>`;
  const { start, end } = responseSpan(text);
  assert.equal(text.slice(start, end), '\nSo 1 + 2 = 3.\n');
});
