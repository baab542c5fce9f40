/**
 * The training and evaluation stages of a recipe (V3 pretraining, R1 paper 2.2-2.3): `pretrain`
 * and `sft` run src/train's loop (a base on the data set's shards; SFT from a model on a data
 * stage's folder), `grpo` runs src/rl's GRPO session, each in `<stage>/checkpoints` and resumed
 * from there when the stage was interrupted; `eval` evaluates each listed checkpoint
 * (src/eval/model-eval.ts) into `<stage>/evals/<label>.json`, skipping those already written.
 * Each kind has the defaults of its command (pretrain and grpo: their schemas'; sft: SFT_DEFAULTS);
 * the recipe's `args` sit over them.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateModel } from '../eval/model-eval.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { runGrpo } from '../rl/session.js';
import { SFT_DEFAULTS } from '../train/config.js';
import { runTraining, type RunKind } from '../train/session.js';
import type { StageConfig } from './config.js';
import type { StageContext, StageOutputs } from './runner.js';

const step = (dir: string): number => {
  const latest = join(dir, 'latest');
  if (!existsSync(latest)) return 0;
  return (
    JSON.parse(readFileSync(join(dir, readFileSync(latest, 'utf8').trim(), 'trainer_state.json'), 'utf8')) as {
      step: number;
    }
  ).step;
};

/** The pipeline's threads, as a config layer. */
const threadsLayer = (ctx: StageContext) => (ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {});

/** One training run (pretrain or sft) in `<stage>/checkpoints`, resumed from there after an interruption. */
async function train(ctx: StageContext, kind: RunKind, layers: Record<string, unknown>[]): Promise<StageOutputs> {
  const out = join(ctx.dir, 'checkpoints');
  const resume = existsSync(join(out, 'latest')) ? out : undefined;
  if (resume) ctx.log(`resuming at step ${step(out)}`);
  const r = await runTraining({
    kind,
    layers: [...layers.slice(0, -1), { output_dir: out, ...threadsLayer(ctx) }, layers.at(-1)!],
    ...(resume ? { resume } : {}),
    onEvent: (e) => {
      if (e.type === 'log') ctx.log(`step ${e.record.step} loss ${Number(e.record.loss).toFixed(4)}`);
      else if (e.type === 'eval')
        ctx.log(`eval step ${e.record.step} val_loss ${Number(e.record.val_loss).toFixed(4)}`);
    },
  });
  return { checkpoint: out, metrics: join(out, 'metrics.jsonl'), final: r.final, steps: r.config.max_steps };
}

/** Stage pretrain: a base model on the shards of a data set. */
export function runPretrainStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'pretrain' }>;
  return train(ctx, 'pretrain', [{ dataset_dir: s.data ? ctx.data(s.data) : ctx.pipeline.dataset_dir }, s.args]);
}

/** Stage sft. */
export function runSftStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'sft' }>;
  return train(ctx, 'sft', [
    { ...SFT_DEFAULTS },
    { init_from: ctx.model(s.model), dataset_dir: ctx.data(s.data) },
    s.args,
  ]);
}

/** Stage grpo. */
export async function runGrpoStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'grpo' }>;
  const out = join(ctx.dir, 'checkpoints');
  const layers = [{ model: ctx.model(s.model), output_dir: out, ...threadsLayer(ctx) }, s.args];
  const resume = existsSync(join(out, 'latest')) ? out : undefined;
  if (resume) ctx.log(`resuming at step ${step(out)}`);
  const r = await runGrpo({
    layers,
    ...(resume ? { resume } : {}),
    onEvent: (e) => {
      if (e.type === 'step')
        ctx.log(
          `step ${e.step}/${e.maxSteps} reward ${e.reward.toFixed(3)} acc ${e.accuracy.toFixed(3)} ` +
            `len ${Number(e.record.completion_length_mean).toFixed(0)}`,
        );
    },
  });
  return {
    checkpoint: out,
    metrics: join(out, 'metrics.jsonl'),
    completions: join(out, 'completions.jsonl'),
    steps: r.config.max_steps,
    last: r.last,
    config: r.config,
  };
}

type EvalStage = Extract<StageConfig, { kind: 'eval' }>;

/** The evaluator's settings (src/eval/model-eval.ts) of an eval stage, for one model's template. */
export function evalSettings(s: EvalStage, template: 'r1-zero' | 'r1') {
  return {
    ...(s.tasks ? { tasks: s.tasks } : {}),
    limit: s.limit,
    k: s.k,
    temperature: s.temperature,
    topP: s.top_p,
    maxNewTokens: s.max_new_tokens,
    template,
    seed: s.seed,
    greedy: s.greedy,
    promptsPerBatch: s.prompts_per_batch,
    ...(s.max_slots ? { maxSlots: s.max_slots } : {}),
  };
}

/** Stage eval. */
export async function runEvalStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as EvalStage;
  const evals: Record<string, string> = {};
  mkdirSync(join(ctx.dir, 'evals'), { recursive: true });
  for (const m of s.models) {
    const path = join(ctx.dir, 'evals', `${m.label.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
    evals[m.label] = path;
    if (existsSync(path)) {
      ctx.log(`${m.label}: evaluated earlier`);
      continue;
    }
    ctx.log(`${m.label}: ${ctx.model(m.model)} (${m.template} template)`);
    const r = await evaluateModel({
      model: ctx.model(m.model),
      datasetDir: ctx.pipeline.dataset_dir,
      ...evalSettings(s, m.template),
      ...(s.general ? { general: s.general } : {}),
      ...threadsLayer(ctx),
      // A line at each quarter of a phase: long evaluations show they are moving.
      onProgress: (phase, done, total) => {
        if (done === total || done % Math.max(1, Math.ceil(total / 4)) === 0)
          ctx.log(`${m.label}: ${phase} ${done}/${total}`);
      },
    });
    await writeFileAtomic(path, Buffer.from(`${JSON.stringify({ label: m.label, ...r })}\n`));
    const all = r.rows.find((x) => x.task === 'all')!;
    ctx.log(
      `${m.label}: pass@1 ${(100 * all.pass_at_1).toFixed(1)}% cons@${s.k} ${(100 * all.cons_at_k).toFixed(1)}% ` +
        `greedy ${(100 * all.greedy_accuracy).toFixed(1)}% format violations ` +
        `${(100 * all.format_violation_rate).toFixed(1)}% mixing ${(100 * all.language_mixing_rate).toFixed(1)}%`,
    );
    for (const g of r.general ?? [])
      ctx.log(
        `${m.label}: ${g.task}: pass@1 ${(100 * g.pass_at_1).toFixed(1)}% format violations ` +
          `${(100 * g.format_violation_rate).toFixed(1)}% length ${g.mean_length.toFixed(0)}`,
      );
  }
  return { evals };
}
