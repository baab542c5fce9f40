/**
 * The training and evaluation stages of the R1 pipeline (paper 2.3): `sft` runs src/train's SFT
 * loop from a model on a data stage's folder, `grpo` runs src/rl's GRPO session, both in
 * `<stage>/checkpoints` and resumed from there when the stage was interrupted; `eval` evaluates
 * each listed checkpoint (src/eval/model-eval.ts) into `<stage>/evals/<label>.json`, skipping
 * those already written. Stage defaults are the recipe scaled to the tiny model; `args` override.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluateModel } from '../eval/model-eval.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { runGrpo } from '../rl/session.js';
import { runTraining } from '../train/session.js';
import type { StageConfig } from './config.js';
import type { StageContext, StageOutputs } from './runner.js';

/** SFT defaults (R1 fine-tunes for 2 epochs; here: steps, a decaying learning rate). */
export const SFT_STAGE_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  learning_rate: 5e-4,
  lr_scheduler_type: 'cosine',
  warmup_steps: 10,
  max_steps: 150,
  eval_steps: 50,
  eval_batches: 2,
  save_steps: 50,
  save_total_limit: 1,
  logging_steps: 5,
});

/** GRPO defaults of the reasoning-RL stages: the chat layout and R1's reward sum (accuracy + format + language consistency). */
export const GRPO_STAGE_DEFAULTS: Readonly<Record<string, unknown>> = Object.freeze({
  template: 'r1',
  tasks: { countdown: 1, arithmetic: 1 },
  difficulties: { countdown: [1, 2], arithmetic: [1, 2] },
  languages: ['en'],
  reward_weights: { accuracy: 1, format: 1, language: 1 },
  num_generations: 8,
  generation_batch_size: 32,
  per_device_train_batch_size: 16,
  max_completion_length: 200,
  temperature: 1.0,
  beta: 0.001,
  learning_rate: 2e-5,
  warmup_steps: 2,
  max_steps: 20,
  save_steps: 5,
  log_completions_steps: 5,
  seed: 42,
});

const step = (dir: string): number => {
  const latest = join(dir, 'latest');
  if (!existsSync(latest)) return 0;
  return (
    JSON.parse(readFileSync(join(dir, readFileSync(latest, 'utf8').trim(), 'trainer_state.json'), 'utf8')) as {
      step: number;
    }
  ).step;
};

/** Stage sft. */
export async function runSftStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'sft' }>;
  const out = join(ctx.dir, 'checkpoints');
  const layers = [
    { ...SFT_STAGE_DEFAULTS },
    {
      init_from: ctx.model(s.model),
      dataset_dir: ctx.data(s.data),
      output_dir: out,
      ...(ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {}),
    },
    s.args,
  ];
  const resume = existsSync(join(out, 'latest')) ? out : undefined;
  if (resume) ctx.log(`resuming at step ${step(out)}`);
  const r = await runTraining({
    kind: 'sft',
    layers,
    ...(resume ? { resume } : {}),
    onEvent: (e) => {
      if (e.type === 'log') ctx.log(`step ${e.record.step} loss ${Number(e.record.loss).toFixed(4)}`);
      else if (e.type === 'eval')
        ctx.log(`eval step ${e.record.step} val_loss ${Number(e.record.val_loss).toFixed(4)}`);
    },
  });
  return { checkpoint: out, metrics: join(out, 'metrics.jsonl'), final: r.final, steps: r.config.max_steps };
}

/** Stage grpo. */
export async function runGrpoStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'grpo' }>;
  const out = join(ctx.dir, 'checkpoints');
  const layers = [
    { ...GRPO_STAGE_DEFAULTS },
    { model: ctx.model(s.model), output_dir: out, ...(ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {}) },
    s.args,
  ];
  const resume = existsSync(join(out, 'latest')) ? out : undefined;
  if (resume) ctx.log(`resuming at step ${step(out)}`);
  const r = await runGrpo({
    layers,
    ...(resume ? { resume } : {}),
    onEvent: (e) => {
      if (e.type === 'step')
        ctx.log(
          `step ${e.step}/${e.maxSteps} reward ${e.reward.toFixed(3)} acc ${e.accuracy.toFixed(3)} len ${Number(e.record.completion_length_mean).toFixed(0)}`,
        );
    },
  });
  return {
    checkpoint: out,
    metrics: join(out, 'metrics.jsonl'),
    completions: join(out, 'completions.jsonl'),
    steps: r.config.max_steps,
    last: r.last,
  };
}

/** Stage eval. */
export async function runEvalStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'eval' }>;
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
      ...(s.tasks ? { tasks: s.tasks } : {}),
      limit: s.limit,
      k: s.k,
      temperature: s.temperature,
      topP: s.top_p,
      maxNewTokens: s.max_new_tokens,
      template: m.template,
      seed: s.seed,
      ...(s.general ? { general: s.general } : {}),
      ...(ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {}),
    });
    await writeFileAtomic(path, Buffer.from(`${JSON.stringify({ label: m.label, ...r })}\n`));
    const all = r.rows.find((x) => x.task === 'all')!;
    ctx.log(
      `${m.label}: pass@1 ${(100 * all.pass_at_1).toFixed(1)}% greedy ${(100 * all.greedy_accuracy).toFixed(1)}% format violations ${(100 * all.format_violation_rate).toFixed(1)}% mixing ${(100 * all.language_mixing_rate).toFixed(1)}%`,
    );
    for (const g of r.general ?? [])
      ctx.log(
        `${m.label}: ${g.task}: pass@1 ${(100 * g.pass_at_1).toFixed(1)}% format violations ${(100 * g.format_violation_rate).toFixed(1)}% length ${g.mean_length.toFixed(0)}`,
      );
  }
  return { evals };
}
