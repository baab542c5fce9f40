/**
 * Distillation (R1 paper 2.4 and 4.1) as a pipeline stage (`kind: distill`) and the core of
 * `deepseek-ts distill`:
 * 1. the teacher (the final R1 model) answers training prompts in the R1 layout; correct, readable
 *    answers (src/pipeline/filters.ts) become the distillation set `<stage>/data/sft.jsonl`;
 * 2. each student (a Qwen2 config; vocabulary from the tokenizer) gets a base: a short pretraining
 *    on the dataset's shards (R1 distils into pretrained Qwen / Llama bases; ours are made here);
 * 3. each student is fine-tuned from its base on the distillation set by SFT only;
 * 4. optionally one student is also trained by GRPO from the same base for as many wall-clock
 *    seconds as its distillation SFT took (the paper's RL-versus-distillation comparison).
 * Every model is an HF Qwen2 folder under `<stage>/students/`, named `<student>-base`,
 * `<student>-distilled`, `<student>-rl`; a rerun skips the ones already saved. The RL student
 * saves checkpoints as it trains (src/distill/dense-grpo.ts), so a rerun after an interruption
 * continues it from its last one; the base and distilled students are trained again from scratch.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../data/jsonl.js';
import type { SftRecord } from '../data/sft.js';
import { createBackend } from '../kernels/index.js';
import { initDenseParams, loadDenseParams, saveDenseCheckpoint, type DenseConfig } from '../models/qwen2/index.js';
import { TEMPLATES } from '../rl/prompts.js';
import { Engine, Rng, type Tensor } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { PretrainSource, SftSource } from '../train/data.js';
import { MetricsLog } from '../train/metrics.js';
import type { StageConfig } from '../pipeline/config.js';
import { byTask, sampleModel, trainProblems, writeSftFolder } from '../pipeline/data-stages.js';
import type { StageContext, StageOutputs } from '../pipeline/runner.js';
import { grpoDenseStudent } from './dense-grpo.js';
import { parseDenseArgs, trainDense, type DenseArgs } from './dense-train.js';
import { studentConfig } from './student-config.js';

type Distill = Extract<StageConfig, { kind: 'distill' }>;

const dispose = (ps: ReadonlyMap<string, Tensor>) => {
  for (const p of ps.values()) {
    p.grad?.dispose();
    p.dispose();
  }
};

async function saveStudent(
  dir: string,
  c: DenseConfig,
  params: ReadonlyMap<string, Tensor>,
  tokDir: string,
  info: unknown,
): Promise<void> {
  await saveDenseCheckpoint(dir, c, params);
  for (const f of ['tokenizer.json', 'tokenizer_config.json'])
    if (existsSync(join(tokDir, f))) copyFileSync(join(tokDir, f), join(dir, f));
  writeFileSync(join(dir, 'train.json'), `${JSON.stringify(info, null, 2)}\n`);
}

const trained = (dir: string) => existsSync(join(dir, 'train.json'));
const info = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'train.json'), 'utf8')) as { seconds: number; steps: number };

/** Stage distill. */
export async function runDistillStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Distill;
  const tokDir = join(ctx.pipeline.dataset_dir, 'tokenizer'),
    tok = loadTokenizer(tokDir);
  let dataDir = join(ctx.dir, 'data');
  if (!existsSync(join(dataDir, 'stats.json'))) {
    ctx.log(`teacher ${ctx.model(s.teacher)} writes the distillation set`);
    const r = await sampleModel(
      ctx,
      s,
      s.teacher,
      trainProblems(s.tasks, s),
      tok,
      (p) => TEMPLATES.r1.encode(tok, p),
      TEMPLATES.r1.responsePrefix,
      'teacher-samples.jsonl',
    );
    dataDir = await writeSftFolder(ctx, r.records, {
      records: r.records.length,
      by_task: byTask(r.records),
      teacher: r.stats,
    });
  }
  const records = readJsonl(join(dataDir, 'sft.jsonl')) as SftRecord[];
  if (records.length === 0)
    throw new Error(
      `stage ${s.name}: the teacher produced no correct, readable answer to distil; raise tasks / num_samples or use a stronger teacher`,
    );
  const engine = new Engine(await createBackend(ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {}));
  const models: Record<string, string> = {},
    timings: Record<string, unknown> = {};
  try {
    for (const st of s.students) {
      const config = studentConfig(st.config, tok, `stage ${s.name}: students.${st.name}.config`);
      const baseArgs = parseDenseArgs(s.base_args, `stage ${s.name}: base_args`),
        sftArgs = parseDenseArgs(s.sft_args, `stage ${s.name}: sft_args`);
      const dirs = {
        base: join(ctx.dir, 'students', `${st.name}-base`),
        distilled: join(ctx.dir, 'students', `${st.name}-distilled`),
        rl: join(ctx.dir, 'students', `${st.name}-rl`),
      };
      const load = async () => (await loadDenseParams(engine, config, dirs.base)).params;
      const train = async (
        dir: string,
        args: DenseArgs,
        params: Map<string, Tensor>,
        source: PretrainSource | SftSource,
        what: string,
      ) => {
        const metrics = new MetricsLog(join(dir, 'metrics.jsonl'));
        metrics.truncateAfter(0);
        const r = trainDense(engine, config, params, source, args, metrics, (step, loss) => {
          if (step % args.logging_steps === 0)
            ctx.log(`${st.name} ${what} step ${step}/${args.max_steps} loss ${loss.toFixed(4)}`);
        });
        await saveStudent(dir, config, params, tokDir, { ...r, args });
        return r;
      };
      if (!trained(dirs.base)) {
        const params = initDenseParams(engine, config, new Rng(baseArgs.seed));
        try {
          await train(
            dirs.base,
            baseArgs,
            params,
            new PretrainSource(
              join(ctx.pipeline.dataset_dir, 'shards', 'pretrain'),
              baseArgs.max_seq_length,
              baseArgs.per_device_train_batch_size,
              baseArgs.seed,
            ),
            'base',
          );
        } finally {
          dispose(params);
        }
      }
      if (!trained(dirs.distilled)) {
        const params = await load();
        try {
          await train(
            dirs.distilled,
            sftArgs,
            params,
            SftSource.fromRecords(
              records,
              tok,
              sftArgs.max_seq_length,
              sftArgs.per_device_train_batch_size,
              sftArgs.seed,
            ),
            'distill',
          );
        } finally {
          dispose(params);
        }
      }
      models[`${st.name}-base`] = dirs.base;
      models[`${st.name}-distilled`] = dirs.distilled;
      timings[st.name] = { base: info(dirs.base), distilled: info(dirs.distilled) };
      if (s.rl_student === st.name) {
        const budget = info(dirs.distilled).seconds;
        if (!trained(dirs.rl)) {
          const params = await load();
          try {
            ctx.log(`${st.name} GRPO from its base for ${budget.toFixed(0)} s (its distillation time)`);
            const r = await grpoDenseStudent({
              engine,
              config,
              params,
              tokenizer: tok,
              outputDir: dirs.rl,
              timeBudgetSec: budget,
              layers: [s.rl_args],
              onStep: (step, reward, acc) =>
                ctx.log(`${st.name} rl step ${step} reward ${reward.toFixed(3)} acc ${acc.toFixed(3)}`),
              onResume: (step, dir) => ctx.log(`${st.name} rl resumes at step ${step} from ${dir}`),
            });
            for (const f of ['tokenizer.json', 'tokenizer_config.json'])
              if (existsSync(join(tokDir, f))) copyFileSync(join(tokDir, f), join(dirs.rl, f));
            writeFileSync(join(dirs.rl, 'train.json'), `${JSON.stringify({ ...r, budget_sec: budget }, null, 2)}\n`);
          } finally {
            dispose(params);
          }
        }
        models[`${st.name}-rl`] = dirs.rl;
        (timings[st.name] as Record<string, unknown>).rl = info(dirs.rl);
      }
    }
  } finally {
    engine.backend.dispose();
  }
  return {
    dataset_dir: dataDir,
    models,
    timings,
    stats: JSON.parse(readFileSync(join(dataDir, 'stats.json'), 'utf8')) as unknown,
  };
}
