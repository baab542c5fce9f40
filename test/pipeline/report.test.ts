/** The run report from a fake run: every evaluated checkpoint in the table and charts, data statistics, timings. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadRun, runCharts, runPage } from '../../src/eval/pipeline-report.js';
import { emptyStats } from '../../src/pipeline/filters.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { runPipeline } from '../../src/pipeline/runner.js';

const row = (task: string, acc: number, fmt: number) => ({
  task,
  problems: 2,
  k: 4,
  pass_at_1: acc,
  pass_at_k: acc,
  cons_at_k: acc,
  format_rate: 1 - fmt,
  mean_length: 50,
  reflection_rate: 0,
  greedy_accuracy: acc,
  format_violation_rate: fmt,
  language_mixing_rate: 0.25,
});

test('report: table rows, per-task cells, rejection statistics, charts', async () => {
  const out = mkdtempSync(join(tmpdir(), 'report-'));
  try {
    const c = parsePipelineConfig({
      output_dir: out,
      dataset_dir: 'd',
      base: 'b',
      stages: [
        { name: 'rs', kind: 'rejection_sampling', model: '@base', tasks: { arithmetic: 2 } },
        {
          name: 'ev',
          kind: 'eval',
          models: [
            { label: 'base', model: '@base', template: 'r1-zero' },
            { label: 'r1', model: '@base', template: 'r1' },
          ],
        },
      ],
    });
    await runPipeline(c, {
      rejection_sampling: async () => {
        const s = emptyStats();
        s.candidates = 8;
        s.kept = 3;
        s.rejected.incorrect = 4;
        s.rejected.truncated = 1;
        return { stats: { records: 3, by_task: { arithmetic: 3 }, reasoning: s } };
      },
      eval: async (ctx) => {
        mkdirSync(join(ctx.dir, 'evals'), { recursive: true });
        const evals: Record<string, string> = {};
        [
          ['base', 0.1, 0.9],
          ['r1', 0.4, 0.05],
        ].forEach(([label, acc, fmt]) => {
          const p = join(ctx.dir, 'evals', `${label}.json`);
          writeFileSync(
            p,
            JSON.stringify({
              label,
              model: 'm',
              modelType: 'deepseek_v3',
              parameters: 1.5e6,
              settings: { k: 4, temperature: 0.6, topP: 0.95, maxNewTokens: 100, template: 'r1', seed: 1, limit: 2 },
              rows: [row('arithmetic', acc as number, fmt as number), row('all', acc as number, fmt as number)],
              results: [],
              greedy: [],
              // only the R1 checkpoint was measured on the general scenarios; JSON turns the chat row's NaN accuracy into null
              ...(label === 'r1'
                ? { general: [row('direct', 0.75, 0.5), { ...row('chat', 0, 0.125), pass_at_1: Number.NaN }] }
                : {}),
            }),
          );
          evals[label as string] = p;
        });
        return { evals };
      },
    });
    const d = loadRun(out);
    assert.deepEqual(
      d.evals.map((e) => e.label),
      ['base', 'r1'],
    );
    const page = runPage(d, { chartDir: 'charts' });
    assert.match(
      page,
      /\| base \| deepseek_v3 \| 1\.50M \| r1 \| 10\.0% \| 10\.0% \| 10\.0% \| 50 \| 90\.0% \| 25\.0% \|/,
    );
    assert.match(page, /\| r1 \| 40\.0% \/ 40\.0% \|/);
    assert.match(page, /\| rs \| reasoning \| 8 \| 3 \| truncated 1, incorrect 4 \|/);
    assert.match(page, /!\[accuracy per checkpoint\]\(charts\/accuracy\.svg\)/);
    assert.match(page, /## General scenarios: chat prompts and direct queries/);
    assert.match(page, /\| r1 \| 75\.0% \| 50\.0% \| 12\.5% \| 50 \| 25\.0% \|/);
    assert.doesNotMatch(page, /\| base \| 75\.0%/);
    const charts = runCharts(d);
    assert.deepEqual([...charts.keys()].sort(), ['accuracy.svg', 'length.svg', 'readability.svg']);
    assert.match(charts.get('readability.svg')!, />90%</);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('report: a folder that is not a pipeline run is a clear error', () => {
  assert.throws(
    () => loadRun(tmpdir()),
    /pipeline\.json does not exist; expected the output_dir of `deepseek-ts pipeline run`/,
  );
});
