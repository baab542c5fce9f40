/**
 * DeepSeek-R1-Zero at small scale (R1 paper 2.2): held-out evaluation of the base model, GRPO with
 * accuracy + format rewards and the R1-Zero template on countdown and arithmetic, evaluation of the
 * result, then the results page and its charts. Each stage leaves its output in output_dir
 * (eval-before.json, checkpoints + metrics.jsonl, eval-after.json), and a rerun skips finished stages
 * and resumes an interrupted GRPO run, so one command reproduces the whole experiment.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { evaluateCheckpoint, type CheckpointEval, type CheckpointEvalOptions } from '../eval/checkpoint-eval.js';
import { r1ZeroCharts, r1ZeroPage } from '../eval/report.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { resolveCheckpoint } from '../train/checkpoint.js';
import { readMetrics } from '../train/metrics.js';
import { resolveGrpoConfig } from './config.js';
import { runGrpo, type GrpoRunEvent } from './session.js';

/** The R1-Zero recipe scaled to the tiny model and this machine (R1: G = 16, KL 0.001, temperature 1). */
export const R1_ZERO_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  template: 'r1-zero',
  tasks: { countdown: 1, arithmetic: 1 },
  difficulties: { countdown: [1, 2], arithmetic: [1, 2] },
  languages: ['en'],
  reward_weights: { accuracy: 1, format: 1 },
  num_generations: 8,
  generation_batch_size: 32,
  per_device_train_batch_size: 16,
  max_completion_length: 200,
  temperature: 1.0,
  beta: 0.001,
  epsilon: 0.2,
  loss_type: 'grpo',
  scale_rewards: 'group',
  learning_rate: 5e-5,
  warmup_steps: 5,
  max_steps: 80,
  save_steps: 10,
  log_completions_steps: 10,
  seed: 42,
});

export interface R1ZeroOptions {
  base: string;
  datasetDir: string;
  outputDir: string;
  /** Where the markdown page goes; charts go to a folder of the same name without `.md`. */
  results: string;
  /** Extra GRPO config layers (file, flags) over R1_ZERO_DEFAULTS. */
  layers: Record<string, unknown>[];
  evalLimit: number;
  k: number;
  threads?: number;
  /** The command line to print on the page. */
  command: string;
  /** Markdown paragraph put above the results table (e.g. what the run shows). */
  notes?: string;
}

export type R1ZeroEvent =
  | { type: 'stage'; stage: string; detail: string }
  | { type: 'eval-progress'; task: string; done: number; total: number }
  | GrpoRunEvent;

async function cachedEval(path: string, o: CheckpointEvalOptions): Promise<CheckpointEval> {
  // Reuse a finished evaluation only when it is of the same checkpoint (a longer rerun has a new final one).
  if (existsSync(path)) {
    const cached = JSON.parse(readFileSync(path, 'utf8')) as CheckpointEval;
    if (cached.model === o.model) return cached;
  }
  const r = await evaluateCheckpoint(o);
  await writeFileAtomic(path, Buffer.from(`${JSON.stringify(r)}\n`));
  return r;
}

/** Runs (or finishes) the experiment and writes the results page; returns the page path. */
export async function runR1Zero(o: R1ZeroOptions, onEvent: (e: R1ZeroEvent) => void = () => {}): Promise<string> {
  mkdirSync(o.outputDir, { recursive: true });
  const layers = [
    { ...R1_ZERO_DEFAULTS, model: o.base, output_dir: o.outputDir, ...(o.threads ? { threads: o.threads } : {}) },
    ...o.layers,
  ];
  const c = resolveGrpoConfig(layers, 'r1-zero config');
  const evalOpts = (
    model: string,
    onProgress = (task: string, done: number, total: number) => onEvent({ type: 'eval-progress', task, done, total }),
  ): CheckpointEvalOptions => ({
    model,
    datasetDir: o.datasetDir,
    tasks: Object.keys(c.tasks),
    limit: o.evalLimit,
    k: o.k,
    temperature: 0.6,
    topP: 0.95,
    maxNewTokens: c.max_completion_length,
    template: 'r1-zero',
    seed: 1234,
    ...(o.threads ? { threads: o.threads } : {}),
    onProgress,
  });
  const baseDir = existsSync(join(o.base, 'config.json')) ? o.base : await resolveCheckpoint(o.base);
  onEvent({ type: 'stage', stage: 'eval-before', detail: `${baseDir}: ${o.evalLimit} problems per task, k = ${o.k}` });
  const before = await cachedEval(join(o.outputDir, 'eval-before.json'), evalOpts(baseDir));
  const latest = join(o.outputDir, 'latest');
  const step = existsSync(latest)
    ? (
        JSON.parse(readFileSync(join(await resolveCheckpoint(o.outputDir), 'trainer_state.json'), 'utf8')) as {
          step: number;
        }
      ).step
    : 0;
  if (step < c.max_steps) {
    onEvent({
      type: 'stage',
      stage: 'grpo',
      detail: step > 0 ? `resuming at step ${step} of ${c.max_steps}` : `${c.max_steps} steps`,
    });
    await runGrpo({ layers, ...(existsSync(latest) ? { resume: o.outputDir } : {}), onEvent });
  }
  const finalDir = await resolveCheckpoint(o.outputDir);
  onEvent({ type: 'stage', stage: 'eval-after', detail: finalDir });
  const after = await cachedEval(join(o.outputDir, 'eval-after.json'), evalOpts(finalDir));
  const records = readMetrics(join(o.outputDir, 'metrics.jsonl')).filter((r) => r.type === 'grpo');
  const chartDir = o.results.replace(/\.md$/, '');
  mkdirSync(chartDir, { recursive: true });
  for (const [name, svg] of r1ZeroCharts(records)) await writeFileAtomic(join(chartDir, name), Buffer.from(svg));
  const page = r1ZeroPage({
    before,
    after,
    records,
    command: o.command,
    config: { ...c },
    chartDir: relative(dirname(o.results), chartDir) || '.',
    ...(o.notes ? { notes: o.notes } : {}),
  });
  await writeFileAtomic(o.results, Buffer.from(page));
  await writeFileAtomic(
    join(o.outputDir, 'results.json'),
    Buffer.from(
      `${JSON.stringify({ before: before.reports, after: after.reports, steps: records.length }, null, 2)}\n`,
    ),
  );
  return o.results;
}
