/**
 * The two data stages of the R1 pipeline (paper 2.3.1 and 2.3.3), each writing an SFT folder
 * `<stage>/data/` (sft.jsonl + the dataset's tokenizer/ and test/, so `sft` reads it like a
 * `data build` folder) and `<stage>/data/stats.json` (kept / rejected by reason):
 * - cold_start: R1-Zero samples from few-shot prompts (solver examples put before the R1-Zero
 *   template, as many as fit the context), rewritten in the readable R1 layout; plus task-solver
 *   traces, some of which slip and correct themselves ("Wait, ..."). Only verified-correct,
 *   well-formatted, single-language responses are kept (src/pipeline/filters.ts).
 * - rejection_sampling: N samples per prompt from a chat model (R1 layout), filtered the same way,
 *   plus non-reasoning records (src/pipeline/non-reasoning.ts), and optionally verified solver
 *   traces (`solver_traces`; a departure for models too small to solve anything themselves, whose
 *   reasoning set would otherwise be empty; the statistics report both parts).
 */
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { encodeDocument, r1ZeroDocument } from '../data/documents.js';
import { writeJsonl } from '../data/jsonl.js';
import type { SftRecord } from '../data/sft.js';
import { makeTrace } from '../data/traces.js';
import { openModel } from '../eval/open-model.js';
import { writeFileAtomic } from '../io/atomic-write.js';
import { createBackend } from '../kernels/index.js';
import { TEMPLATES } from '../rl/prompts.js';
import { getTask } from '../tasks/registry.js';
import { Rng as TaskRng } from '../tasks/rng.js';
import { generateProblems } from '../tasks/splits.js';
import type { Lang, Problem } from '../tasks/types.js';
import { Engine } from '../tensor/index.js';
import { assistantBody } from '../tokenizer/chat.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { StageConfig } from './config.js';
import { countOutcome, emptyStats, rejectReason, type FilterStats } from './filters.js';
import { nonReasoningRecords } from './non-reasoning.js';
import type { StageContext, StageOutputs } from './runner.js';
import { readableRecord, sampleAndFilter } from './sample-filter.js';

type ColdStart = Extract<StageConfig, { kind: 'cold_start' }>;
type Rejection = Extract<StageConfig, { kind: 'rejection_sampling' }>;

/** Training-split problems: `counts[task]` of each, unique, deterministic for the seed. */
export function trainProblems(
  counts: Readonly<Record<string, number>>,
  s: { difficulties: Readonly<Record<string, number[]>>; languages: readonly Lang[]; seed: number },
): Problem[] {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .flatMap(([name, count]) => {
      const task = getTask(name);
      return generateProblems({
        task,
        split: 'train',
        count,
        seed: s.seed,
        ...(s.difficulties[name] ? { difficulties: s.difficulties[name] } : {}),
        langs: s.languages,
        unique: true,
      });
    });
}

/**
 * A few-shot R1-Zero prompt: up to `shots` solved examples of the same task, each encoded like a
 * pretraining document, then the R1-Zero template of the problem; examples are dropped (longest
 * budget first) until the prompt fits `budget` tokens.
 */
export function fewShotPrompt(
  p: Problem,
  examples: readonly Problem[],
  shots: number,
  tok: Tokenizer,
  budget: number,
): { ids: number[]; used: number } {
  const target = TEMPLATES['r1-zero'].encode(tok, p);
  const gap = tok.encode('\n\n');
  const docs = examples.slice(0, Math.min(shots, examples.length)).map((e) => {
    const s = getTask(e.task).solve(e);
    return encodeDocument(tok, r1ZeroDocument(e.prompt, s.steps.join('\n'), s.answer));
  });
  for (let n = docs.length; n > 0; n--) {
    const ids: number[] = [];
    for (const d of docs.slice(0, n)) for (const id of [...d, ...gap]) ids.push(id);
    for (const id of target) ids.push(id);
    if (ids.length <= budget) return { ids, used: n };
  }
  return { ids: target, used: 0 };
}

/** Writes the SFT folder: sft.jsonl, stats.json and copies of the dataset's tokenizer/ and test/. */
export async function writeSftFolder(
  ctx: StageContext,
  records: readonly SftRecord[],
  stats: unknown,
): Promise<string> {
  const out = join(ctx.dir, 'data');
  mkdirSync(out, { recursive: true });
  for (const sub of ['tokenizer', 'test']) {
    const src = join(ctx.pipeline.dataset_dir, sub);
    if (!existsSync(src))
      throw new Error(
        `dataset_dir ${ctx.pipeline.dataset_dir} has no ${sub}/; expected a \`deepseek-ts data build\` folder`,
      );
    cpSync(src, join(out, sub), { recursive: true });
  }
  writeJsonl(join(out, 'sft.jsonl'), records);
  await writeFileAtomic(join(out, 'stats.json'), Buffer.from(`${JSON.stringify(stats, null, 2)}\n`));
  return out;
}

/** Record counts per task, for a stage's summary. */
export function byTask(records: readonly SftRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of records) counts[r.task] = (counts[r.task] ?? 0) + 1;
  return counts;
}

/** Samples a model with the stage's settings and filters; the engine lives for this call only. */
export async function sampleModel(
  ctx: StageContext,
  s: Pick<
    ColdStart,
    | 'num_samples'
    | 'temperature'
    | 'top_p'
    | 'max_completion_length'
    | 'seed'
    | 'filters'
    | 'keep_per_prompt'
    | 'prompts_per_batch'
  >,
  modelRef: string,
  problems: readonly Problem[],
  tok: Tokenizer,
  encode: (p: Problem, maxContext: number) => number[],
  responsePrefix: string,
  progressFile: string,
) {
  const engine = new Engine(await createBackend(ctx.pipeline.threads ? { threads: ctx.pipeline.threads } : {}));
  try {
    const m = await openModel(engine, ctx.model(modelRef));
    try {
      return await sampleAndFilter({
        progressPath: join(ctx.dir, progressFile),
        problems,
        sampler: m.sampler,
        tokenizer: tok,
        encode: (p) => encode(p, m.maxContext),
        responsePrefix,
        n: s.num_samples,
        settings: { temperature: s.temperature, topP: s.top_p, topK: 0, maxNewTokens: s.max_completion_length },
        seed: s.seed,
        filters: s.filters,
        keepPerPrompt: s.keep_per_prompt,
        promptsPerBatch: s.prompts_per_batch,
        onProgress: (done, total, st) => ctx.log(`${done}/${total} prompts, ${st.kept} kept of ${st.candidates}`),
      });
    } finally {
      m.dispose();
    }
  } finally {
    engine.backend.dispose();
  }
}

/** Readable task-solver traces (some slip and correct themselves), through the same filters. */
export function solverTraces(
  s: Pick<ColdStart, 'solver_traces' | 'corrected_share' | 'difficulties' | 'languages' | 'seed' | 'filters'>,
): { records: SftRecord[]; stats: FilterStats } {
  const records: SftRecord[] = [],
    stats = emptyStats(),
    seen = new Set<string>(),
    rng = new TaskRng(s.seed).fork('solver-traces');
  for (const p of trainProblems(s.solver_traces, { ...s, seed: s.seed + 1 })) {
    const trace = makeTrace(
      getTask(p.task).solve(p),
      p.lang,
      rng.next() < s.corrected_share ? 'corrected' : 'clean',
      rng,
    );
    const response = assistantBody(trace.reasoning, trace.answer);
    const reason = rejectReason({ problem: p, response, finished: true }, s.filters, seen);
    countOutcome(stats, reason);
    if (reason === null) records.push(readableRecord(p, response));
  }
  return { records, stats };
}

/** Stage cold_start. */
export async function runColdStart(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as ColdStart;
  const tok = loadTokenizer(join(ctx.pipeline.dataset_dir, 'tokenizer'));
  const records: SftRecord[] = [];
  let modelStats: FilterStats | null = null;
  const shotsUsed: Record<string, number> = {};
  const problems = trainProblems(s.tasks, s);
  if (problems.length > 0) {
    if (!s.model) throw new Error(`stage ${s.name}: tasks asks for R1-Zero samples but no model is given`);
    const examples = new Map(
      Object.keys(s.tasks).map((t) => [
        t,
        trainProblems({ [t]: Math.max(1, s.few_shot) * 4 }, { ...s, seed: s.seed + 7919 }).sort(
          (a, b) => a.prompt.length - b.prompt.length,
        ),
      ]),
    );
    const r = await sampleModel(
      ctx,
      s,
      s.model,
      problems,
      tok,
      (p, maxContext) => {
        const f = fewShotPrompt(
          p,
          examples.get(p.task)!.filter((e) => e.key !== p.key),
          s.few_shot,
          tok,
          maxContext - s.max_completion_length,
        );
        shotsUsed[String(f.used)] = (shotsUsed[String(f.used)] ?? 0) + 1;
        return f.ids;
      },
      TEMPLATES['r1-zero'].responsePrefix,
      'model-samples.jsonl',
    );
    for (const item of r.records) records.push(item);
    modelStats = r.stats;
  }
  const solver = solverTraces(s);
  for (const item of solver.records) records.push(item);
  const stats = {
    records: records.length,
    by_task: byTask(records),
    r1_zero_samples: modelStats,
    few_shot_examples_used: shotsUsed,
    solver_traces: solver.stats,
  };
  const data = await writeSftFolder(ctx, records, stats);
  return { dataset_dir: data, stats };
}

/** Stage rejection_sampling. */
export async function runRejectionSampling(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Rejection;
  const tok = loadTokenizer(join(ctx.pipeline.dataset_dir, 'tokenizer'));
  const r = await sampleModel(
    ctx,
    s,
    s.model,
    trainProblems(s.tasks, s),
    tok,
    (p) => TEMPLATES.r1.encode(tok, p),
    TEMPLATES.r1.responsePrefix,
    'samples.jsonl',
  );
  const extra = nonReasoningRecords(s.non_reasoning, s.seed);
  const solver = solverTraces(s);
  const records = [...r.records, ...solver.records, ...extra];
  const stats = {
    records: records.length,
    by_task: byTask(records),
    reasoning: r.stats,
    solver_traces: solver.stats,
    non_reasoning: s.non_reasoning,
  };
  const data = await writeSftFolder(ctx, records, stats);
  return { dataset_dir: data, stats };
}
