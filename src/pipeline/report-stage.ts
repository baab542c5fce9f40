/**
 * Stage r1_zero_report: the R1-Zero results page (R1 paper 2.2; src/eval/report.ts) of a recipe's
 * eval (base model), grpo, eval (trained model) stages: the before/after table per task, the
 * training curves as SVG charts in a folder beside the page, sample completions, and the figures
 * as JSON beside the page (`<page>.json`, also `<stage>/results.json`): the per-task rows before and
 * after, the last GRPO record, and the provenance (commit and command) of the run that made them.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { CheckpointEval } from '../eval/checkpoint-eval.js';
import type { ModelEval } from '../eval/model-eval.js';
import { r1ZeroCharts, r1ZeroPage } from '../eval/report.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readMetrics } from '../train/metrics.js';
import { provenance } from '../train/provenance.js';
import type { StageConfig } from './config.js';
import type { StageContext, StageOutputs } from './runner.js';
import { evalSettings } from './train-stages.js';

type EvalStage = Extract<StageConfig, { kind: 'eval' }>;

/** The one evaluation of an eval stage (its single model), in the page's shape. */
function evalOf(ctx: StageContext, ref: string): CheckpointEval {
  const m = ctx.stageOf(ref);
  const s = m.config as EvalStage;
  if (s.kind !== 'eval' || s.models.length !== 1)
    throw new Error(`stage ${ctx.stage.name}: ${ref} must be an eval stage of one model`);
  const path = (m.outputs?.evals as Record<string, string> | undefined)?.[s.models[0]!.label];
  if (!path) throw new Error(`stage ${ctx.stage.name}: ${ref} has no evaluation of ${s.models[0]!.label}`);
  const r = JSON.parse(readFileSync(path, 'utf8')) as ModelEval;
  return {
    model: r.model,
    options: { model: r.model, datasetDir: ctx.pipeline.dataset_dir, ...evalSettings(s, s.models[0]!.template) },
    reports: r.rows,
    results: r.results,
    ...(r.greedy.length ? { greedy: r.greedy } : {}),
  };
}

export async function runR1ZeroReport(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'r1_zero_report' }>;
  const before = evalOf(ctx, s.before),
    after = evalOf(ctx, s.after);
  const grpo = ctx.stageOf(s.grpo);
  if (grpo.kind !== 'grpo') throw new Error(`stage ${s.name}: ${s.grpo} is a ${grpo.kind} stage, not grpo`);
  const records = readMetrics(grpo.outputs!.metrics!).filter((r) => r.type === 'grpo');
  const chartDir = s.results.replace(/\.md$/, '');
  mkdirSync(chartDir, { recursive: true });
  for (const [name, svg] of r1ZeroCharts(records)) await writeFileAtomic(join(chartDir, name), Buffer.from(svg));
  const command = s.command ?? 'deepseek-ts pipeline run <recipe>';
  const page = r1ZeroPage({
    before,
    after,
    records,
    command,
    config: grpo.outputs!.config as Record<string, unknown>,
    chartDir: relative(dirname(s.results), chartDir) || '.',
    ...(s.notes ? { notes: readFileSync(s.notes, 'utf8').trim() } : {}),
  });
  await writeFileAtomic(s.results, Buffer.from(page));
  const results = join(ctx.dir, 'results.json');
  const figures = Buffer.from(
    `${JSON.stringify(
      {
        provenance: provenance(),
        command,
        before: before.reports,
        after: after.reports,
        steps: records.length,
        last: records.at(-1) ?? null,
      },
      null,
      2,
    )}\n`,
  );
  await writeFileAtomic(results, figures);
  await writeFileAtomic(s.results.replace(/\.md$/, '').concat('.json'), figures);
  ctx.log(`wrote ${s.results}`);
  return { page: s.results, results };
}
