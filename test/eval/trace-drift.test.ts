/**
 * The trace-drift check of the step-accuracy measurement: a corpus built by this code passes; a
 * corpus whose reference documents were written by other trace code (simulated by rewriting one
 * full-search document's check line, and one checked-column document's last step) is refused,
 * naming the first document that differs; a corpus with no reference-mode documents is refused too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDataset, type CorpusDoc } from '../../src/data/build.js';
import { parseDataConfig } from '../../src/data/config.js';
import { readJsonl, writeJsonl } from '../../src/data/jsonl.js';
import { assertSameTraceCode, traceDrift } from '../../src/eval/trace-drift.js';

function build(dir: string, traces: { countdown: Record<string, number>; arithmetic: Record<string, number> }) {
  buildDataset(
    parseDataConfig({
      out: dir,
      seed: 5,
      languages: ['en'],
      tasks: {
        countdown: { train: 80, test: 4, difficulties: [4] },
        arithmetic: { train: 80, test: 4, difficulties: [4] },
      },
      traces: { ...traces, caught_slips: 0.2 },
      chat_layout: 0.3,
      bare_prompts: 0.3,
    }),
  );
}

test('trace drift: a corpus of this code passes, a rewritten reference document is refused by name', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drift-'));
  try {
    build(dir, { countdown: { quick: 0.5, full: 0.5 }, arithmetic: { direct: 0.5, checked: 0.5 } });
    const same = assertSameTraceCode(dir);
    assert.ok((same.compared.full ?? 0) >= 5 && (same.compared.checked ?? 0) >= 5, JSON.stringify(same.compared));
    assert.deepEqual(same.differing, {});
    const limited = Object.values(traceDrift(dir, 3).compared).reduce((a, b) => a + b, 0);
    assert.equal(limited, 3, 'the limit caps the documents compared');

    const path = join(dir, 'corpus.jsonl'),
      docs = readJsonl(path) as CorpusDoc[];
    const full = docs.find((d) => d.mode === 'full' && d.kind === 'clean' && !d.layout && d.text.includes('Check: '))!;
    const checked = docs.find((d) => d.mode === 'checked' && d.kind === 'clean' && !d.layout)!;
    full.text = full.text.replace(/Check: .*\n/, 'Check: 1 + 1 = 2. Correct.\n');
    checked.text = checked.text.replace(/\n<\/think>/, ' Done.\n</think>');
    writeJsonl(path, docs);
    const drift = traceDrift(dir);
    assert.deepEqual(drift.differing, { full: 1, checked: 1 });
    assert.ok(drift.firstDiffering === full.key || drift.firstDiffering === checked.key);
    const key = drift.firstDiffering!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.throws(
      () => assertSameTraceCode(dir),
      new RegExp(`\\(first: ${key}\\); the dataset was built by other trace code`),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('trace drift: a corpus without reference-mode documents cannot be checked and is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drift-'));
  try {
    build(dir, { countdown: { quick: 1 }, arithmetic: { direct: 1 } });
    assert.deepEqual(traceDrift(dir).compared, {});
    assert.throws(() => assertSameTraceCode(dir), /no clean full-search or checked-column documents/);
    assert.throws(() => traceDrift(join(dir, 'missing')), /corpus\.jsonl not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
