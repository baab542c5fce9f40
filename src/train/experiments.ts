/**
 * The issue-5 experiments, each reproducing a DeepSeek-V3 claim at small scale: same data, same
 * seed, same steps, arms differing in one setting. Each arm is a normal pretraining run (its
 * metrics.jsonl and checkpoints under `<runs>/<experiment>/<arm>`); the summary and the
 * side-by-side SVG charts go to `<results>/<experiment>/`.
 * - balance (V3 4.5.2): aux-loss-free bias (gamma) vs sequence-wise auxiliary loss (the V2-style
 *   expert-level loss, alpha 0.01, no bias) vs no balancing: held-out loss and MaxVio.
 * - mtp (V3 4.5.1): one MTP module (lambda 0.3) vs none: held-out loss and next-token accuracy of
 *   the main head.
 * - fp8 (V3 3.3): every block Linear in simulated FP8 vs FP32: relative difference of the
 *   training-loss curves (paper: < 0.25%).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readMetrics, type MetricsRecord } from './metrics.js';
import { compareChart } from './plot.js';
import { runTraining, type RunRequest } from './session.js';

export interface ExperimentArm {
  name: string;
  overrides: Record<string, unknown>;
}
export interface Experiment {
  name: string;
  claim: string;
  arms: ExperimentArm[];
  charts: { key: string; type: string; title: string; yLabel: string }[];
}

export const EXPERIMENTS: Readonly<Record<string, Experiment>> = {
  balance: {
    name: 'balance',
    claim:
      'aux-loss-free balancing balances as well or better than an auxiliary loss, at equal or lower loss (V3 paper 4.5.2)',
    arms: [
      { name: 'aux-loss-free', overrides: { bias_update_speed: 0.001, seq_aux_alpha: 0 } },
      { name: 'aux-loss', overrides: { bias_update_speed: 0, seq_aux_alpha: 0.01 } },
      { name: 'none', overrides: { bias_update_speed: 0, seq_aux_alpha: 0 } },
    ],
    charts: [
      { key: 'val_loss', type: 'eval', title: 'held-out loss', yLabel: 'cross-entropy (nats)' },
      {
        key: 'maxvio_mean',
        type: 'train',
        title: 'MaxVio (batch, mean over MoE layers)',
        yLabel: 'max load / mean - 1',
      },
      { key: 'val_maxvio_mean', type: 'eval', title: 'MaxVio (held-out)', yLabel: 'max load / mean - 1' },
    ],
  },
  mtp: {
    name: 'mtp',
    claim: 'an MTP module improves the main model (V3 paper 4.5.1)',
    arms: [
      { name: 'mtp-1', overrides: { mtp_depth: 1, mtp_lambda: 0.3 } },
      { name: 'no-mtp', overrides: { mtp_depth: 0 } },
    ],
    charts: [
      { key: 'val_loss', type: 'eval', title: 'held-out loss (main head)', yLabel: 'cross-entropy (nats)' },
      { key: 'val_accuracy', type: 'eval', title: 'held-out next-token accuracy (main head)', yLabel: 'accuracy' },
      { key: 'lm_loss', type: 'train', title: 'training loss (main head)', yLabel: 'cross-entropy (nats)' },
    ],
  },
  fp8: {
    name: 'fp8',
    claim: 'FP8 training tracks FP32 with a relative loss error below 0.25% (V3 paper 3.3)',
    arms: [
      { name: 'fp32', overrides: { precision: 'fp32' } },
      { name: 'fp8', overrides: { precision: 'fp8' } },
    ],
    charts: [{ key: 'loss', type: 'train', title: 'training loss', yLabel: 'cross-entropy (nats)' }],
  },
};

export interface ExperimentResult {
  experiment: string;
  claim: string;
  base: Record<string, unknown>;
  arms: { name: string; overrides: Record<string, unknown>; final: MetricsRecord; seconds: number }[];
  summary: Record<string, unknown>;
}

/** Runs every arm of `name` with `base` settings, writes charts and results.json; returns the result. */
export async function runExperiment(
  name: string,
  base: Record<string, unknown>,
  runsDir: string,
  resultsDir: string,
  onEvent?: RunRequest['onEvent'],
): Promise<ExperimentResult> {
  const exp = EXPERIMENTS[name];
  if (!exp) throw new Error(`experiment "${name}" is unknown; expected one of ${Object.keys(EXPERIMENTS).join(', ')}`);
  const arms: ExperimentResult['arms'] = [];
  const runs: { name: string; records: MetricsRecord[] }[] = [];
  for (const arm of exp.arms) {
    const out = join(runsDir, name, arm.name);
    const t0 = performance.now();
    const r = await runTraining({
      kind: 'pretrain',
      layers: [base, arm.overrides, { output_dir: out }],
      ...(onEvent ? { onEvent } : {}),
    });
    arms.push({ name: arm.name, overrides: arm.overrides, final: r.final, seconds: (performance.now() - t0) / 1000 });
    runs.push({ name: arm.name, records: readMetrics(join(out, 'metrics.jsonl')) });
  }
  const dir = join(resultsDir, name);
  mkdirSync(dir, { recursive: true });
  for (const ch of exp.charts) {
    await writeFileAtomic(
      join(dir, `${ch.key}.svg`),
      Buffer.from(compareChart(runs, ch.type, ch.key, `${name}: ${ch.title}`, ch.yLabel)),
    );
  }
  const summary = name === 'fp8' ? relativeCurveDiff(runs[0]!.records, runs[1]!.records) : {};
  const result: ExperimentResult = { experiment: name, claim: exp.claim, base, arms, summary };
  await writeFileAtomic(join(dir, 'results.json'), Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
  return result;
}

/** Mean and max over logged steps of |loss_b - loss_a| / loss_a (training loss curves). */
export function relativeCurveDiff(
  a: readonly MetricsRecord[],
  b: readonly MetricsRecord[],
): { mean_rel_diff: number; max_rel_diff: number; final_rel_diff: number; points: number } {
  const la = new Map(a.filter((r) => r.type === 'train').map((r) => [r.step, r.loss as number]));
  const d: number[] = [];
  for (const r of b)
    if (r.type === 'train' && la.has(r.step)) d.push(Math.abs((r.loss as number) - la.get(r.step)!) / la.get(r.step)!);
  return {
    mean_rel_diff: d.reduce((s, x) => s + x, 0) / (d.length || 1),
    max_rel_diff: d.reduce((a, b) => Math.max(a, b), 0),
    final_rel_diff: d[d.length - 1] ?? NaN,
    points: d.length,
  };
}

/**
 * Experiment 4: the trained base model's loss curve (charts of its metrics.jsonl) and greedy
 * held-out accuracy per task, written to `<resultsDir>/base-model/`.
 */
export async function baseModelReport(
  runDir: string,
  datasetDir: string,
  resultsDir: string,
  perTask: number,
  maxNewTokens: number,
  threads?: number,
): Promise<Record<string, unknown>> {
  const { createBackend } = await import('../kernels/index.js');
  const { Engine } = await import('../tensor/index.js');
  const { DeepseekV3 } = await import('../models/deepseek-v3/model.js');
  const { loadTokenizer } = await import('../tokenizer/hf-tokenizer.js');
  const { loadTrainCheckpoint } = await import('./checkpoint.js');
  const { readTestProblems } = await import('./data.js');
  const { greedyAccuracy } = await import('./greedy-eval.js');
  const { metricsCharts } = await import('./plot.js');
  const engine = new Engine(await createBackend(threads ? { threads } : {}));
  try {
    const ck = await loadTrainCheckpoint(engine, runDir);
    const model = new DeepseekV3(engine, ck.config, ck.params);
    const t0 = performance.now();
    const accuracy = greedyAccuracy(model, loadTokenizer(ck.dir), readTestProblems(datasetDir), perTask, maxNewTokens);
    const dir = join(resultsDir, 'base-model');
    mkdirSync(dir, { recursive: true });
    const records = readMetrics(join(runDir, 'metrics.jsonl'), true);
    for (const [stem, svg] of metricsCharts(records, 'tiny base model'))
      await writeFileAtomic(join(dir, `${stem}.svg`), Buffer.from(svg));
    const lastEval = [...records].reverse().find((r) => r.type === 'eval');
    const result = {
      checkpoint: ck.dir,
      step: ck.state.step,
      tokens_seen: ck.state.tokens_seen,
      final_eval: lastEval,
      greedy_accuracy: accuracy,
      per_task: perTask,
      max_new_tokens: maxNewTokens,
      eval_seconds: (performance.now() - t0) / 1000,
    };
    await writeFileAtomic(join(dir, 'results.json'), Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
    model.dispose();
    return result;
  } finally {
    engine.backend.dispose();
  }
}
