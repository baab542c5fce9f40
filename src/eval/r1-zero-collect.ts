/**
 * From the R1-Zero runs to the committed results (issue 14): the outputs of the final recipe's
 * stages (recipes/r1-zero-final.yaml, runs under runs/) become small files under
 * docs/results/r1-zero/, from which the page and summary.json are generated
 * (src/eval/r1-zero-page.ts) without the runs:
 *   evals/<stage>.json      the digest of each finished eval stage (src/eval/r1-zero-digest.ts)
 *   metrics/<stage>.jsonl   the GRPO metrics of each finished RL stage (every logged step)
 *   metrics/base-<arm>.jsonl  the base pretraining metrics, every 50th step and every eval
 *   runs.json               per stage and base: kind, seconds, attempts, finished_at, the commit and
 *                           command of each attempt, the config
 * Only finished stages are collected; rerunning after more stages finish adds them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readTestProblems } from '../train/data.js';
import type { Problem } from '../tasks/types.js';
import { digestEval } from './r1-zero-digest.js';
import type { ModelEval } from './model-eval.js';

/** A base model's pretraining run: its arm and output folder. */
export interface BaseRun {
  arm: string;
  dir: string;
}

export interface CollectOptions {
  /** The final recipe's output_dir (one folder per stage). */
  runsDir: string;
  /** The data build folder whose test splits were evaluated. */
  datasetDir: string;
  bases: readonly BaseRun[];
  /** Where the committed files go (docs/results/r1-zero). */
  out: string;
}

interface StageManifestLike {
  name: string;
  kind: string;
  status: string;
  seconds: number;
  attempts: number;
  finished_at?: string;
  config: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  made?: { commit: string; dirty: boolean; command: string }[];
}

const readJsonl = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const jsonl = (records: readonly unknown[]) => Buffer.from(records.map((r) => `${JSON.stringify(r)}\n`).join(''));
const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 1)}\n`);

/** Collects every finished stage and base; returns the names collected. */
export async function collectR1ZeroResults(o: CollectOptions): Promise<string[]> {
  const problems = new Map<string, Problem>();
  for (const ps of readTestProblems(o.datasetDir).values()) for (const p of ps) problems.set(p.key, p);
  for (const sub of ['evals', 'metrics']) mkdirSync(join(o.out, sub), { recursive: true });
  const runsPath = join(o.out, 'runs.json');
  const runs: Record<string, unknown> = existsSync(runsPath) ? JSON.parse(readFileSync(runsPath, 'utf8')) : {};
  const collected: string[] = [];
  for (const b of o.bases) {
    const metrics = join(b.dir, 'metrics.jsonl');
    if (!existsSync(metrics)) continue;
    const records = readJsonl(metrics);
    const train = records.filter((r) => r.type === 'train');
    const last = train.at(-1);
    const keep = records.filter((r) => r.type !== 'train' || (r.step as number) % 50 === 0 || r === last);
    await writeFileAtomic(join(o.out, 'metrics', `base-${b.arm}.jsonl`), jsonl(keep));
    runs[`base-${b.arm}`] = {
      kind: 'pretrain',
      steps: last?.step,
      tokens: last?.tokens,
      seconds: last?.elapsed_sec,
      dir: b.dir,
    };
    collected.push(`base-${b.arm}`);
  }
  const stages = existsSync(o.runsDir) ? readdirSync(o.runsDir).sort() : [];
  for (const name of stages) {
    const manifestPath = join(o.runsDir, name, 'manifest.json');
    if (!existsSync(manifestPath)) continue;
    const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as StageManifestLike;
    if (m.status !== 'done') continue;
    if (m.kind === 'eval') {
      const evals = (m.outputs?.evals ?? {}) as Record<string, string>;
      const [label, path] = Object.entries(evals)[0] ?? [];
      if (!path) continue;
      const e = JSON.parse(readFileSync(path, 'utf8')) as ModelEval & { label: string };
      await writeFileAtomic(join(o.out, 'evals', `${name}.json`), json(digestEval({ ...e, label: label! }, problems)));
    } else if (m.kind === 'grpo') {
      const metrics = m.outputs?.metrics;
      if (typeof metrics !== 'string') continue;
      await writeFileAtomic(join(o.out, 'metrics', `${name}.jsonl`), jsonl(readJsonl(metrics)));
    } else continue;
    runs[name] = {
      kind: m.kind,
      seconds: m.seconds,
      attempts: m.attempts,
      finished_at: m.finished_at,
      made: m.made ?? [],
      config: m.config,
    };
    collected.push(name);
  }
  await writeFileAtomic(runsPath, json(runs));
  return collected;
}
