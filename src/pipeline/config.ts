/**
 * The recipe format of the one pipeline runner (src/pipeline/runner.ts): every multi-stage job
 * (`deepseek-ts pipeline run <recipe.yaml>`, `r1-zero` = recipes/r1-zero.yaml, `start --train` =
 * recipes/r1-tiny.yaml) is a YAML (or JSON) file of the run's folders and an ordered list of stages.
 *
 *   output_dir: runs/x          # one sub-folder per stage: <output_dir>/<stage name>/
 *   dataset_dir: data/x         # a `data build` folder, or "@<stage>" of a data stage
 *   base: runs/base             # the pretrained base model (checkpoint folder, output_dir), or "@<stage>"
 *   threads: 2                  # optional; compute threads of every stage
 *   stages:
 *     - {name: rl, kind: grpo, model: "@base", args: {max_steps: 80}}
 *
 * Stage kinds and their keys (R1 paper 2.2-2.4; each kind has one set of defaults, the same as its
 * command's):
 *   data                `data build` of a data config file (`config`) into the stage folder
 *   pretrain            `pretrain`: a base model on a data set; `args`: run-config keys (src/train/config.ts)
 *   sft                 `sft` of a model on a data stage's set; `args`: run-config keys over SFT_DEFAULTS
 *   grpo                `grpo` (src/rl); `args`: GRPO config keys (src/rl/config.ts, TRL `GRPOConfig` names)
 *   cold_start          readable long-CoT SFT data: R1-Zero samples (few-shot prompts) re-written in the
 *                       R1 layout, plus task-solver traces; filtered
 *   rejection_sampling  N samples per prompt from a model, filtered; plus non-reasoning data
 *   eval                sampled (and greedy) accuracy and readability of several checkpoints
 *   r1_zero_report      the R1-Zero results page (charts, before/after table) of an eval, grpo, eval triple
 *   distill             teacher samples -> SFT of dense students; an RL student for comparison
 *   export              a checkpoint as a Hugging Face bundle (`export --format hf`)
 * A model or data argument is a path, `@base` (the config's base model), `@<stage name>` (that
 * stage's output) or `@<stage>:<name>` (a named model of a stage, e.g. `@distill:qwen2-s-distilled`);
 * references point backwards. Every key is checked when the recipe is parsed, stage `args`
 * included: a typo fails before the first stage runs, naming the stage and the key. YAML anchors
 * and merge keys (`<<: *rl`) share settings between stages. Paths are relative to the working folder.
 */
import { z } from 'zod';
import { argsSchema, formatZodError, readConfigFile } from '../config/layers.js';
import { parseDataConfig } from '../data/config.js';
import { DenseArgsSchema } from '../distill/dense-train.js';
import { studentConfig } from '../distill/student-config.js';
import { GrpoConfigSchema } from '../rl/config.js';
import { CHAT_TASK } from '../tasks/chat.js';
import { getTask } from '../tasks/registry.js';
import { RunConfigSchema } from '../train/config.js';
import { DEFAULT_FILTERS } from './filters.js';

/** What stage `args` may hold: the keys of the command's config, each optional, checked at parse time. */
const RunArgs = argsSchema(RunConfigSchema).default({}).describe('run config keys (src/train/config.ts)');
const GrpoArgs = argsSchema(GrpoConfigSchema).default({}).describe('GRPO config keys (src/rl/config.ts)');
const DenseArgs = argsSchema(DenseArgsSchema).default({});

const Ref = z.string().min(1).describe('a path, @base or @<stage name>');
const TaskCounts = z.record(z.string(), z.number().int().min(0)).describe('{task: number of prompts}');
const Filters = z
  .strictObject({
    max_paragraph_chars: z.number().int().positive().default(DEFAULT_FILTERS.max_paragraph_chars),
    max_repeated_lines: z.number().int().positive().default(DEFAULT_FILTERS.max_repeated_lines),
  })
  .default({ ...DEFAULT_FILTERS });
const Sampling = {
  num_samples: z.number().int().positive().default(4).describe('completions sampled per prompt'),
  keep_per_prompt: z.number().int().positive().default(1).describe('most responses kept per prompt'),
  max_completion_length: z.number().int().positive().default(200),
  temperature: z.number().positive().default(0.8),
  top_p: z.number().gt(0).max(1).default(0.95),
  prompts_per_batch: z.number().int().positive().default(4),
  difficulties: z
    .record(z.string(), z.array(z.number().int()))
    .default({})
    .describe('per task, the difficulty levels (default: all)'),
  languages: z
    .array(z.enum(['en', 'zh']))
    .min(1)
    .default(['en']),
  seed: z.number().int().default(1),
  filters: Filters,
};
const Name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

const ColdStart = z.strictObject({
  name: Name,
  kind: z.literal('cold_start'),
  model: Ref.optional().describe('the R1-Zero model to sample (omit: solver traces only)'),
  tasks: TaskCounts.default({}),
  few_shot: z
    .number()
    .int()
    .min(0)
    .default(1)
    .describe('solver examples put before each R1-Zero prompt (as many as fit the context)'),
  solver_traces: TaskCounts.default({}).describe('{task: readable solver traces added}'),
  corrected_share: z
    .number()
    .min(0)
    .max(1)
    .default(0.3)
    .describe('share of solver traces that slip, say "Wait..." and fix the step (long CoT with reflection)'),
  ...Sampling,
});
const Data = z.strictObject({
  name: Name,
  kind: z.literal('data'),
  config: z.string().min(1).describe('a `data build` config file; its `out` is replaced by the stage folder'),
});
const Pretrain = z.strictObject({
  name: Name,
  kind: z.literal('pretrain'),
  data: Ref.optional().describe("the data set (default: the recipe's dataset_dir)"),
  args: RunArgs,
});
const Sft = z.strictObject({
  name: Name,
  kind: z.literal('sft'),
  model: Ref,
  data: Ref,
  args: RunArgs,
});
const Grpo = z.strictObject({
  name: Name,
  kind: z.literal('grpo'),
  model: Ref,
  args: GrpoArgs,
});
const Rejection = z.strictObject({
  name: Name,
  kind: z.literal('rejection_sampling'),
  model: Ref,
  tasks: TaskCounts,
  non_reasoning: z
    .strictObject({ chat: z.number().int().min(0).default(0), direct: z.number().int().min(0).default(0) })
    .default({ chat: 0, direct: 0 }),
  solver_traces: TaskCounts.default({}).describe(
    '{task: verified solver traces added} (0 in R1; for models that solve too little to sample from)',
  ),
  corrected_share: z.number().min(0).max(1).default(0.3),
  ...Sampling,
});
const EvalModel = z.strictObject({ label: z.string().min(1), model: Ref, template: z.enum(['r1-zero', 'r1']) });
const Eval = z.strictObject({
  name: Name,
  kind: z.literal('eval'),
  models: z.array(EvalModel).min(1),
  tasks: z.array(z.string()).optional(),
  limit: z.number().int().positive().default(20),
  k: z.number().int().positive().default(4),
  temperature: z.number().positive().default(0.6),
  top_p: z.number().gt(0).max(1).default(0.95),
  max_new_tokens: z.number().int().positive().default(200),
  seed: z.number().int().default(1234),
  greedy: z.boolean().default(true).describe('also decode greedily (greedy accuracy); false: sampled figures only'),
  prompts_per_batch: z.number().int().positive().default(4).describe('prompts sampled together (k rows each)'),
  max_slots: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('sequences decoded at once (default: all k x prompts_per_batch); fewer stream the batch through them'),
  general: z
    .strictObject({ chat: z.number().int().min(0).default(0), direct: z.number().int().min(0).default(0) })
    .optional()
    .describe('also evaluate general-scenario prompts (chat greetings, direct queries): what the final RL stage adds'),
});
const Student = z.strictObject({
  name: Name,
  config: z.record(z.string(), z.unknown()).describe('Qwen2 config.json keys (vocab_size comes from the tokenizer)'),
});
const Distill = z.strictObject({
  name: Name,
  kind: z.literal('distill'),
  teacher: Ref,
  tasks: TaskCounts,
  students: z.array(Student).min(1),
  base_args: DenseArgs.describe('student pretraining (dense loop) keys: max_steps, learning_rate, ...'),
  sft_args: DenseArgs.describe('distillation SFT keys'),
  rl_student: Name.optional().describe(
    'the student also trained by GRPO from its base for the wall-clock time its distillation took',
  ),
  rl_args: GrpoArgs.describe('GRPO config keys of the RL student'),
  ...Sampling,
});
const R1ZeroReport = z.strictObject({
  name: Name,
  kind: z.literal('r1_zero_report'),
  before: Ref.describe('the eval stage of the base model'),
  grpo: Ref.describe('the grpo stage (its metrics and config)'),
  after: Ref.describe('the eval stage of the trained model'),
  results: z.string().min(1).describe('the markdown page; charts go to a folder of the same name without .md'),
  notes: z.string().min(1).optional().describe('a markdown file whose text goes above the results table'),
  command: z.string().min(1).optional().describe('the command line printed on the page'),
});
const Export = z.strictObject({
  name: Name,
  kind: z.literal('export'),
  model: Ref,
  out: z.string().min(1).describe('the Hugging Face bundle folder'),
  dtype: z.enum(['keep', 'F32', 'BF16']).default('keep'),
  chat_template: z.enum(['keep', 'r1', 'r1-zero']).default('keep'),
});

export const StageSchema = z.discriminatedUnion('kind', [
  Data,
  Pretrain,
  ColdStart,
  Sft,
  Grpo,
  Rejection,
  Eval,
  R1ZeroReport,
  Distill,
  Export,
]);
export type StageConfig = z.infer<typeof StageSchema>;
export type StageKind = StageConfig['kind'];

export const PipelineSchema = z.strictObject({
  output_dir: z.string().min(1).describe('the run folder: one sub-folder per stage'),
  dataset_dir: z
    .string()
    .min(1)
    .describe('the `data build` folder (tokenizer/, test/ held-out splits, shards/) or "@<data stage>"'),
  base: z.string().min(1).describe('the pretrained base model (checkpoint folder or output_dir) or "@<stage>"'),
  threads: z.number().int().positive().optional(),
  stages: z.array(StageSchema).min(1),
});
export type PipelineConfig = z.infer<typeof PipelineSchema>;

/** Validates a parsed config; stage names must be unique and references must point backwards. */
export function parsePipelineConfig(raw: unknown, source = 'pipeline config'): PipelineConfig {
  const r = PipelineSchema.safeParse(raw);
  if (!r.success) throw new Error(formatZodError(r.error, stageNamed(raw, source, r.error)));
  const c = r.data,
    seen = new Set<string>(),
    names = c.stages.map((s) => s.name);
  for (const [key, ref] of [
    ['base', c.base],
    ['dataset_dir', c.dataset_dir],
  ] as const)
    if (ref.startsWith('@') && !names.includes(ref.slice(1)))
      throw new Error(`${source}: ${key} ${ref} is not a stage (stages: ${names.join(', ')})`);
  for (const s of c.stages) {
    if (seen.has(s.name)) throw new Error(`${source}: stage name ${JSON.stringify(s.name)} is used twice`);
    if (s.name === 'base') throw new Error(`${source}: a stage cannot be called "base" (@base is the base model)`);
    for (const ref of stageRefs(s)) {
      if (ref.startsWith('@') && ref !== '@base' && !seen.has(ref.slice(1).split(':')[0]!))
        throw new Error(
          `${source}: stage ${s.name} refers to ${ref}, which is not an earlier stage (earlier: ${[...seen].join(', ') || 'none'})`,
        );
    }
    if (s.kind === 'data') parseDataConfig(readConfigFile(s.config, `stage ${s.name}`), s.config);
    checkTasks(s, source);
    if (s.kind === 'distill')
      for (const st of s.students)
        studentConfig(
          st.config,
          { vocabSize: 2, bosId: 0, eosId: 1 },
          `${source}: stage ${s.name}: students.${st.name}.config`,
        );
    seen.add(s.name);
  }
  return c;
}

/** The source with the failing stage's name, so an error reads "stage rl (grpo): args: ...". */
function stageNamed(raw: unknown, source: string, e: z.ZodError): string {
  const p = e.issues[0]?.path;
  if (p?.[0] !== 'stages' || typeof p[1] !== 'number') return source;
  const s = (raw as { stages: { name?: unknown; kind?: unknown }[] }).stages[p[1]];
  return `${source}, stage ${String(s?.name ?? p[1])} (${String(s?.kind ?? 'no kind')})`;
}

/** Every task name a stage uses is a task of the registry (chat prompts: a GRPO scenario too). */
function checkTasks(s: StageConfig, source: string): void {
  for (const [key, names] of Object.entries(stageTasks(s)))
    for (const t of names) {
      if (t === CHAT_TASK && key.includes('args.')) continue;
      try {
        getTask(t);
      } catch (err) {
        throw new Error(`${source}: stage ${s.name}: ${key}: ${(err as Error).message}`);
      }
    }
}

/** The task names a stage uses, by key. */
function stageTasks(s: StageConfig): Record<string, string[]> {
  const keys = (o: unknown) => Object.keys((o as object | undefined) ?? {});
  switch (s.kind) {
    case 'grpo':
      return { 'args.tasks': keys(s.args.tasks), 'args.difficulties': keys(s.args.difficulties) };
    case 'eval':
      return { tasks: s.tasks ?? [] };
    case 'cold_start':
    case 'rejection_sampling':
      return { tasks: keys(s.tasks), solver_traces: keys(s.solver_traces), difficulties: keys(s.difficulties) };
    case 'distill':
      return {
        tasks: keys(s.tasks),
        difficulties: keys(s.difficulties),
        'rl_args.tasks': keys(s.rl_args.tasks),
        'rl_args.difficulties': keys(s.rl_args.difficulties),
      };
    default:
      return {};
  }
}

/** Every model / data reference of a stage. */
export function stageRefs(s: StageConfig): string[] {
  switch (s.kind) {
    case 'data':
      return [];
    case 'pretrain':
      return s.data ? [s.data] : [];
    case 'cold_start':
      return s.model ? [s.model] : [];
    case 'sft':
      return [s.model, s.data];
    case 'grpo':
    case 'rejection_sampling':
      return [s.model];
    case 'eval':
      return s.models.map((m) => m.model);
    case 'r1_zero_report':
      return [s.before, s.grpo, s.after];
    case 'distill':
      return [s.teacher];
    case 'export':
      return [s.model];
  }
}

/** Reads a YAML or JSON file (JSON is YAML) into a validated config. */
export function readPipelineConfig(path: string): PipelineConfig {
  return parsePipelineConfig(readConfigFile(path, 'pipeline config'), `pipeline config ${path}`);
}
