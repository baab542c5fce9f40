/**
 * The one orchestrator: runs the stages of a recipe in order, each in `<output_dir>/<stage name>/`,
 * with a manifest.json that records its status, its config, its outputs (checkpoint, SFT data
 * folder, metrics, statistics, evaluations) and its time. A rerun skips stages whose manifest says
 * `done` (with the same config; a changed config is an error, not a silent reuse) and calls a
 * `running` stage again with `resume: true`, so each stage kind continues from its own checkpoints
 * or progress files. A training stage (pretrain, sft, grpo) whose only change is a larger
 * `args.max_steps` is resumed too (the run continues); a finished stage whose inputs were made
 * again since (the manifest records when each stage it read from finished) runs again from scratch.
 * `<output_dir>/pipeline.json` lists every stage's status for the report.
 * This skip/resume is the only one: `r1-zero`, `start --train` and `distill` are recipes run here.
 *
 * Recipe format (YAML or JSON; every key, stage kind and its keys: src/pipeline/config.ts):
 *
 *   output_dir: runs/my-run            # stage folders go here
 *   dataset_dir: "@data"               # a `data build` folder, or a data stage's output
 *   base: "@pretrain"                  # the base model: a checkpoint path, or a stage's output
 *   stages:
 *     - {name: data, kind: data, config: recipes/my-data.json}
 *     - {name: pretrain, kind: pretrain, args: {model: tiny, max_steps: 2000}}
 *     - name: rl
 *       kind: grpo
 *       model: "@base"                 # or "@<earlier stage>", "@<stage>:<model name>", a path
 *       args: {template: r1-zero, max_steps: 80}   # the `grpo` command's keys (src/rl/config.ts)
 *
 * A new multi-stage job is a new YAML file in recipes/, run by `deepseek-ts pipeline run`; a command
 * that wraps one (src/rl/r1-zero.ts) reads it with readRecipe, sets keys from its flags with
 * patchStage (src/pipeline/recipe.ts) and parses it, so every key is checked before a stage runs.
 * The runners of the stage kinds are passed in (src/pipeline/stages.ts), which keeps this file
 * free of models and testable with fake stages.
 */
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { stageRefs, type PipelineConfig, type StageConfig, type StageKind } from './config.js';
import { type Provenance, provenance } from '../train/provenance.js';

/** What a stage leaves for later stages and the report (paths relative to nothing: as given). */
export interface StageOutputs {
  /** Model checkpoint (folder or output_dir with `latest`). */
  checkpoint?: string;
  /** Further models by name, referred to as `@stage:name` (e.g. the students of a distill stage). */
  models?: Record<string, string>;
  /** A `data build`-like folder holding sft.jsonl, tokenizer/, test/. */
  dataset_dir?: string;
  metrics?: string;
  /** Anything else worth reporting (statistics, eval file paths, timings). */
  [key: string]: unknown;
}

export interface StageManifest {
  name: string;
  kind: StageKind;
  status: 'running' | 'done';
  config: StageConfig;
  started_at: string;
  finished_at?: string;
  /** Seconds of work over all attempts. */
  seconds: number;
  attempts: number;
  outputs?: StageOutputs;
  /** When each stage this one read from finished (a later rerun of one makes this stage stale). */
  inputs?: Record<string, string>;
  /** The code and command of each attempt (src/train/provenance.ts), oldest first. */
  made?: Provenance[];
}

export type PipelineEvent =
  | { type: 'stage-skip'; stage: string; reason: string }
  | { type: 'stage-start'; stage: string; kind: StageKind; resume: boolean }
  | { type: 'stage-done'; stage: string; seconds: number; outputs: StageOutputs }
  | { type: 'log'; stage: string; message: string };

export interface StageContext<S extends StageConfig = StageConfig> {
  stage: S;
  /** The stage's own folder. */
  dir: string;
  /** The recipe, with `base` and `dataset_dir` references resolved (reading one before its stage ran throws). */
  pipeline: PipelineConfig;
  /** True when an earlier attempt of this stage was interrupted. */
  resume: boolean;
  /** A model reference (`@base`, `@stage`, path) as a checkpoint path. */
  model(ref: string): string;
  /** A data reference (`@stage` of a data stage, or a path) as a dataset folder. */
  data(ref: string): string;
  /** The manifest of an earlier, finished stage (`@<stage>`): its config and outputs. */
  stageOf(ref: string): StageManifest;
  log(message: string): void;
}

export type StageRunner = (ctx: StageContext) => Promise<StageOutputs>;
export type StageRunners = { [K in StageKind]?: StageRunner };

const manifestPath = (dir: string) => join(dir, 'manifest.json');

/** The config of a stage without its step count (a training stage run longer is the same run, continued). */
function withoutSteps(s: StageConfig): string {
  const args = 'args' in s ? { ...s.args, max_steps: undefined } : undefined;
  return JSON.stringify(args ? { ...s, args } : s);
}

/** True when `next` is `prev` with more training steps: the stage continues from its checkpoint. */
function runsLonger(prev: StageConfig, next: StageConfig): boolean {
  if (!['pretrain', 'sft', 'grpo'].includes(next.kind) || withoutSteps(prev) !== withoutSteps(next)) return false;
  const steps = (s: StageConfig) => ('args' in s ? (s.args as { max_steps?: number }).max_steps : undefined);
  const a = steps(prev),
    b = steps(next);
  return a !== undefined && b !== undefined && b > a;
}

/** The manifest of a stage folder, or undefined. */
export function readManifest(dir: string): StageManifest | undefined {
  const p = manifestPath(dir);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as StageManifest;
  } catch (err) {
    throw new Error(`${p} is corrupt (${(err as Error).message}); delete the stage folder ${dir} to rerun it`);
  }
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, Buffer.from(`${JSON.stringify(value, null, 2)}\n`));
}

/** Options of a pipeline run. */
export interface RunOptions {
  /** Stop after this stage (the later ones are left for a later run). */
  until?: string;
  /**
   * Run this stage only (if it has not finished): earlier unfinished stages are left alone, so one
   * command is one stage (one RL run of an experiment with many); the stages it reads must be done.
   */
  only?: string;
  onEvent?: (e: PipelineEvent) => void;
}

/** Runs (or finishes) every stage; resolves with the manifests in stage order. */
export async function runPipeline(
  c: PipelineConfig,
  runners: StageRunners,
  o: RunOptions = {},
): Promise<StageManifest[]> {
  for (const [flag, name] of [
    ['--until', o.until],
    ['--only', o.only],
  ] as const)
    if (name !== undefined && !c.stages.some((s) => s.name === name))
      throw new Error(
        `${flag}: no stage is called ${JSON.stringify(name)}; stages: ${c.stages.map((s) => s.name).join(', ')}`,
      );
  if (o.until !== undefined && o.only !== undefined) throw new Error('--until and --only: give one of them');
  for (const s of c.stages) if (!runners[s.kind]) throw new Error(`stage ${s.name}: no runner for kind ${s.kind}`);
  mkdirSync(c.output_dir, { recursive: true });
  const done = new Map<string, StageManifest>();
  const manifests: StageManifest[] = [];
  const stageOf = (ref: string): StageManifest => {
    const m = done.get(ref.slice(1).split(':')[0]!);
    if (!ref.startsWith('@') || !m) throw new Error(`${ref} is not a finished stage`);
    return m;
  };
  const output = (ref: string, what: 'checkpoint' | 'dataset_dir'): string => {
    if (!ref.startsWith('@')) return ref;
    if (ref === '@base') {
      if (what === 'checkpoint') return output(c.base, 'checkpoint');
      throw new Error('@base is a model, not a data set');
    }
    const [name, key] = ref.slice(1).split(':') as [string, string | undefined];
    const m = done.get(name);
    if (!m) throw new Error(`${ref} is used before its stage has run`);
    const v =
      key === undefined ? m?.outputs?.[what] : (m?.outputs?.models as Record<string, string> | undefined)?.[key];
    if (typeof v !== 'string')
      throw new Error(
        `${ref} has no ${what === 'checkpoint' ? 'model checkpoint' : 'SFT data'} output (stage kind ${m?.kind ?? 'unknown'})`,
      );
    return v;
  };
  const writeIndex = () =>
    writeJson(join(c.output_dir, 'pipeline.json'), {
      config: c,
      stages: manifests.map((m) => ({
        name: m.name,
        kind: m.kind,
        status: m.status,
        seconds: m.seconds,
        dir: join(c.output_dir, m.name),
      })),
    });
  /** The stages a stage reads from (its references, and the recipe's base / dataset_dir stages). */
  /** The stages a stage reads: its references and the recipe's base / dataset_dir stages, each with its ref. */
  const readsFrom = (stage: StageConfig): { ref: string; name: string }[] =>
    [...stageRefs(stage), c.base, c.dataset_dir]
      .filter((r) => r.startsWith('@') && r !== '@base')
      .map((ref) => ({ ref, name: ref.slice(1).split(':')[0]! }));
  const upstream = (stage: StageConfig): Record<string, string> => {
    const names = readsFrom(stage).map((r) => r.name);
    return Object.fromEntries(
      [...new Set(names)].filter((n) => done.has(n)).map((n) => [n, done.get(n)!.finished_at ?? '']),
    );
  };
  for (const stage of c.stages) {
    const dir = join(c.output_dir, stage.name);
    let prev = readManifest(dir);
    // --only: every other stage is read as it is (finished or not), never run, rerun or removed.
    if (o.only !== undefined && stage.name !== o.only) {
      if (prev?.status === 'done') {
        done.set(stage.name, prev);
        manifests.push(prev);
      } else o.onEvent?.({ type: 'stage-skip', stage: stage.name, reason: `not finished; --only ${o.only}` });
      continue;
    }
    const inputs = upstream(stage);
    const sameConfig = prev !== undefined && JSON.stringify(prev.config) === JSON.stringify(stage);
    const longer = prev !== undefined && !sameConfig && runsLonger(prev.config, stage);
    if (prev && !sameConfig && !longer) {
      throw new Error(
        `stage ${stage.name}: ${manifestPath(dir)} was written for a different config; delete ${dir} to rerun the stage with the new one`,
      );
    }
    // A stage whose inputs were made again since it finished is stale: it runs again from scratch.
    if (prev?.status === 'done' && prev.inputs && JSON.stringify(prev.inputs) !== JSON.stringify(inputs)) {
      o.onEvent?.({ type: 'log', stage: stage.name, message: 'an earlier stage ran again since; rerunning this one' });
      rmSync(dir, { recursive: true, force: true });
      prev = undefined;
    }
    if (o.only !== undefined)
      for (const { ref, name } of readsFrom(stage))
        if (!done.has(name))
          throw new Error(`--only ${stage.name}: it reads ${ref}, which has not finished; run --only ${name} first`);
    if (prev?.status === 'done' && !longer) {
      o.onEvent?.({ type: 'stage-skip', stage: stage.name, reason: 'finished earlier' });
      done.set(stage.name, prev);
      manifests.push(prev);
    } else {
      const resume = prev !== undefined;
      mkdirSync(dir, { recursive: true });
      const m: StageManifest = {
        name: stage.name,
        kind: stage.kind,
        status: 'running',
        config: stage,
        started_at: prev?.started_at ?? new Date().toISOString(),
        seconds: prev?.seconds ?? 0,
        attempts: (prev?.attempts ?? 0) + 1,
        inputs,
        made: [...(prev?.made ?? []), provenance()],
      };
      await writeJson(manifestPath(dir), m);
      o.onEvent?.({ type: 'stage-start', stage: stage.name, kind: stage.kind, resume });
      const t0 = performance.now();
      const pipeline = Object.defineProperties(
        { ...c },
        {
          base: { get: () => output(c.base, 'checkpoint'), enumerable: true },
          dataset_dir: { get: () => output(c.dataset_dir, 'dataset_dir'), enumerable: true },
        },
      );
      const outputs = await runners[stage.kind]!({
        stage,
        dir,
        pipeline,
        stageOf,
        resume,
        model: (ref) => output(ref, 'checkpoint'),
        data: (ref) => output(ref, 'dataset_dir'),
        log: (message) => o.onEvent?.({ type: 'log', stage: stage.name, message }),
      });
      const seconds = m.seconds + (performance.now() - t0) / 1000;
      const finished: StageManifest = { ...m, status: 'done', finished_at: new Date().toISOString(), seconds, outputs };
      await writeJson(manifestPath(dir), finished);
      o.onEvent?.({ type: 'stage-done', stage: stage.name, seconds, outputs });
      done.set(stage.name, finished);
      manifests.push(finished);
    }
    await writeIndex();
    if (stage.name === o.until) break;
  }
  if (o.only !== undefined) await writeIndex(); // the finished stages after the one run, too
  return manifests;
}
