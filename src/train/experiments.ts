/**
 * The issue-5 experiments, each reproducing a DeepSeek-V3 claim at small scale: same data, same
 * seed, same steps, arms differing in one setting. Each arm is a normal pretraining run (its
 * metrics.jsonl and checkpoints under `<runs>/<experiment>/<arm>`); the summary and the
 * side-by-side SVG charts go to `<results>/<experiment>/`.
 * - balance (V3 4.5.2): aux-loss-free bias (gamma) vs sequence-wise auxiliary loss (the V2-style
 *   expert-level loss, alpha 0.01, no bias) vs no balancing: held-out loss and MaxVio.
 * - mtp (V3 4.5.1): one MTP module (lambda 0.3) vs none: held-out loss and next-token accuracy of
 *   the main head.
 * - fp8 (V3 3.3): every block Linear in simulated FP8 vs FP32: relative difference of the final
 *   held-out loss (paper: < 0.25%), and of the training-loss curves along the run.
 * Each results.json records its commit and command (provenance.ts); the tables of
 * docs/results/README.md are generated from them (experiment-page.ts).
 */
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import type { Policy } from '../rl/policy.js';
import type { Problem } from '../tasks/types.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { readMetrics, type MetricsRecord } from './metrics.js';
import { compareChart } from './plot.js';
import { type Provenance, provenance } from './provenance.js';
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
      { name: 'aux-loss-free-gamma0.01', overrides: { bias_update_speed: 0.01, seq_aux_alpha: 0 } },
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
  /** The commit and command that produced this file. */
  /** Absent in files written before results recorded it. */
  provenance?: Provenance;
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
  const made = provenance();
  const arms: ExperimentResult['arms'] = [];
  const runs: { name: string; records: MetricsRecord[] }[] = [];
  for (const arm of exp.arms) {
    const out = join(runsDir, name, arm.name);
    // Every arm starts from scratch: a rerun replaces the arm's previous checkpoints and metrics.
    rmSync(out, { recursive: true, force: true });
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
  // The per-step metrics travel with the summary (a few kB per arm), so the charts can be redrawn.
  for (const arm of exp.arms)
    await writeFileAtomic(
      join(dir, `${arm.name}.metrics.jsonl`),
      readFileSync(join(runsDir, name, arm.name, 'metrics.jsonl')),
    );
  for (const ch of exp.charts) {
    await writeFileAtomic(
      join(dir, `${ch.key}.svg`),
      Buffer.from(compareChart(runs, ch.type, ch.key, `${name}: ${ch.title}`, ch.yLabel)),
    );
  }
  const summary = name === 'fp8' ? fp8Summary(arms[0]!.final, arms[1]!.final, runs[0]!.records, runs[1]!.records) : {};
  const result: ExperimentResult = { experiment: name, claim: exp.claim, provenance: made, base, arms, summary };
  await writeFileAtomic(join(dir, 'results.json'), Buffer.from(`${JSON.stringify(result, null, 2)}\n`));
  const { updateResultsPage } = await import('./experiment-page.js');
  await updateResultsPage(resultsDir);
  return result;
}

/**
 * FP8 vs FP32: the paper's figure is the relative difference of the loss at the end of training,
 * compared here on the held-out loss of the final evaluation; the training-loss curves' relative
 * differences along the run are reported beside it (they are not held-out numbers).
 */
export function fp8Summary(
  fp32Final: MetricsRecord,
  fp8Final: MetricsRecord,
  fp32Records: readonly MetricsRecord[],
  fp8Records: readonly MetricsRecord[],
): { heldout_final_rel_diff: number; train_loss_curve: ReturnType<typeof relativeCurveDiff> } {
  return {
    heldout_final_rel_diff: heldoutRelDiff(fp32Final, fp8Final),
    train_loss_curve: relativeCurveDiff(fp32Records, fp8Records),
  };
}

/** |val_loss_b - val_loss_a| / val_loss_a of two final evaluation records. */
export function heldoutRelDiff(a: MetricsRecord, b: MetricsRecord): number {
  const va = a.val_loss,
    vb = b.val_loss;
  if (typeof va !== 'number' || typeof vb !== 'number')
    throw new Error(`fp8: a final record has no val_loss (got ${String(va)} and ${String(vb)})`);
  return Math.abs(vb - va) / va;
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
  const { deepseekPolicy } = await import('../rl/policy.js');
  const { loadTokenizer } = await import('../tokenizer/hf-tokenizer.js');
  const { loadTrainCheckpoint } = await import('./checkpoint.js');
  const { readTestProblems } = await import('./data.js');
  const { metricsCharts } = await import('./plot.js');
  const made = provenance();
  const engine = new Engine(await createBackend(threads ? { threads } : {}));
  try {
    const ck = await loadTrainCheckpoint(engine, runDir);
    const policy = deepseekPolicy(engine, ck.config, ck.params);
    const t0 = performance.now();
    const accuracy = await greedyAccuracy(
      policy,
      loadTokenizer(ck.dir),
      readTestProblems(datasetDir),
      perTask,
      maxNewTokens,
    );
    const dir = join(resultsDir, 'base-model');
    mkdirSync(dir, { recursive: true });
    const records = readMetrics(join(runDir, 'metrics.jsonl'), true);
    for (const [stem, svg] of metricsCharts(records, 'tiny base model'))
      await writeFileAtomic(join(dir, `${stem}.svg`), Buffer.from(svg));
    const lastEval = [...records].reverse().find((r) => r.type === 'eval');
    const result = {
      provenance: made,
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
    policy.dispose();
    return result;
  } finally {
    engine.backend.dispose();
  }
}

/** Greedy accuracy of one task on held-out problems (experiment 4). */
export interface TaskAccuracy {
  task: string;
  correct: number;
  total: number;
  accuracy: number;
  example?: { prompt: string; completion: string; ok: boolean };
}

/**
 * Greedy held-out accuracy per task (at most `perTask` problems each): every prompt in the R1-Zero
 * layout the corpus uses (`renderR1Zero`), continued greedily on the generation engine until EOS or
 * `maxNewTokens`, scored by the task's exact verifier.
 */
async function greedyAccuracy(
  policy: Policy,
  tok: Tokenizer,
  tests: ReadonlyMap<string, readonly Problem[]>,
  perTask: number,
  maxNewTokens: number,
): Promise<TaskAccuracy[]> {
  const { isCorrect } = await import('../tasks/registry.js');
  const { TEMPLATES } = await import('../rl/prompts.js');
  const { Rng } = await import('../tensor/index.js');
  const stopTokens = tok.eosId === undefined ? [] : [tok.eosId];
  const results: TaskAccuracy[] = [];
  for (const [task, problems] of tests) {
    const ps = problems.slice(0, perTask);
    const prompts = ps.map((p) => TEMPLATES['r1-zero'].encode(tok, p));
    const groups = await policy.sampleGroups(
      prompts,
      1,
      { temperature: 0, topP: 1, topK: 0, maxNewTokens, stopTokens },
      new Rng(0),
    );
    const completions = groups.map((g) => tok.decode(g.completions[0]!));
    const oks = ps.map((p, i) => isCorrect(p, completions[i]!));
    const correct = oks.filter(Boolean).length;
    results.push({
      task,
      correct,
      total: ps.length,
      accuracy: ps.length ? correct / ps.length : 0,
      ...(ps.length ? { example: { prompt: ps[0]!.prompt, completion: completions[0]!, ok: oks[0]! } } : {}),
    });
  }
  return results;
}
