// The budget table of the thorough countdown searches (src/data/search-budget.ts): solve shares per
// tier, mode and cap against searchTrace itself, solve shares that never fall as the cap grows, and
// response lengths that are the corpus's own encoding of the same trace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeDocumentParts, r1ZeroDocument } from '../../src/data/documents.js';
import { searchBudget } from '../../src/data/search-budget.js';
import { countdown } from '../../src/tasks/countdown.js';
import { searchTrace } from '../../src/tasks/countdown-search.js';
import { Rng } from '../../src/tasks/rng.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';

const rng = new Rng(11);
const problems = [
  ...Array.from({ length: 12 }, () => countdown.generate(rng, 4, 'en')),
  ...Array.from({ length: 12 }, () => countdown.generate(rng, 5, 'en')),
];
const t = trainTokenizer(
  problems.map(
    (p) =>
      r1ZeroDocument(
        p.prompt,
        searchTrace(p.data.numbers as number[], p.data.target as number, { mode: 'full' }).lines.join('\n'),
        p.answer,
      ).text,
  ),
  { vocabSize: 400 },
);
const tok = new HfTokenizer(t.tokenizerJson, t.tokenizerConfig);

test('one row per tier, mode and cap, with solve shares that rise with the cap', () => {
  const rows = searchBudget(problems, tok, [2, 8, 40]);
  assert.deepEqual(
    rows.map((r) => `${r.tier} ${r.mode} ${r.cap}`),
    ['countdown/4', 'countdown/5'].flatMap((tier) =>
      ['full', 'backward'].flatMap((m) => [2, 8, 40].map((c) => `${tier} ${m} ${c}`)),
    ),
  );
  for (const r of rows) assert.equal(r.problems, 12);
  for (let i = 0; i < rows.length; i += 3) {
    const [a, b, c] = [rows[i]!, rows[i + 1]!, rows[i + 2]!];
    assert.ok(a.solved <= b.solved && b.solved <= c.solved, `${a.tier} ${a.mode}: ${a.solved} ${b.solved} ${c.solved}`);
    assert.ok(a.response.max <= c.response.max);
  }
  // at two checks the 4-number full search misses some of these problems, at 40 it finds more
  const full5 = rows.filter((r) => r.tier === 'countdown/5' && r.mode === 'full');
  assert.ok(full5[0]!.solved < full5[2]!.solved);
});

test('the solve share and lengths are those of searchTrace and the corpus encoding', () => {
  const [row] = searchBudget(problems.slice(12, 15), tok, [8]);
  const traces = problems.slice(12, 15).map((p) => ({
    p,
    t: searchTrace(p.data.numbers as number[], p.data.target as number, { mode: 'full', budget: 8 }),
  }));
  assert.equal(row!.solved, traces.filter((x) => x.t.found).length / 3);
  const lengths = traces.map(
    ({ p, t: tr }) =>
      encodeDocumentParts(tok, r1ZeroDocument(p.prompt, tr.lines.join('\n'), tr.answer)).response.length + 1,
  );
  assert.equal(row!.response.max, Math.max(...lengths));
});
