/**
 * The declarative R1 pipeline config (`deepseek-ts pipeline run r1.yaml`; YAML or JSON): the run's
 * folders and an ordered list of stages, each a `kind` with its own keys (R1 paper 2.3):
 *   cold_start          readable long-CoT SFT data: R1-Zero samples (few-shot R1-Zero prompts)
 *                       re-written in the R1 layout, plus task-solver traces; filtered
 *   sft                 SFT of a model on a data stage's set (src/train, `TrainingArguments` names)
 *   grpo                GRPO (src/rl, TRL `GRPOConfig` names)
 *   rejection_sampling  N samples per prompt from a model, filtered; plus non-reasoning data
 *   eval                greedy / sampled accuracy and readability of several checkpoints
 *   distill             teacher samples -> SFT of dense students; an RL student for comparison
 * A model or data argument is a path, `@base` (the config's base model) or `@<stage name>` (that
 * stage's output), or `@<stage>:<name>` (a named model of a stage, e.g. `@distill:small-distilled`). Unknown keys are errors; `args` of sft / grpo stages are checked by their own
 * schemas when the stage runs.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULT_FILTERS } from './filters.js';

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
const Sft = z.strictObject({
  name: Name,
  kind: z.literal('sft'),
  model: Ref,
  data: Ref,
  args: z.record(z.string(), z.unknown()).default({}).describe('run config keys (src/train/config.ts)'),
});
const Grpo = z.strictObject({
  name: Name,
  kind: z.literal('grpo'),
  model: Ref,
  args: z.record(z.string(), z.unknown()).default({}).describe('GRPO config keys (src/rl/config.ts)'),
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
  base_args: z
    .record(z.string(), z.unknown())
    .default({})
    .describe('student pretraining (dense loop) keys: max_steps, learning_rate, ...'),
  sft_args: z.record(z.string(), z.unknown()).default({}).describe('distillation SFT keys'),
  rl_student: Name.optional().describe(
    'the student also trained by GRPO from its base for the wall-clock time its distillation took',
  ),
  rl_args: z.record(z.string(), z.unknown()).default({}).describe('GRPO config keys of the RL student'),
  ...Sampling,
});

export const StageSchema = z.discriminatedUnion('kind', [ColdStart, Sft, Grpo, Rejection, Eval, Distill]);
export type StageConfig = z.infer<typeof StageSchema>;
export type StageKind = StageConfig['kind'];

export const PipelineSchema = z.strictObject({
  output_dir: z.string().min(1).describe('the run folder: one sub-folder per stage'),
  dataset_dir: z.string().min(1).describe('the `data build` folder: tokenizer/, test/ (held-out splits), shards/'),
  base: z.string().min(1).describe('the pretrained base model (checkpoint folder or output_dir)'),
  threads: z.number().int().positive().optional(),
  stages: z.array(StageSchema).min(1),
});
export type PipelineConfig = z.infer<typeof PipelineSchema>;

/** Validates a parsed config; stage names must be unique and references must point backwards. */
export function parsePipelineConfig(raw: unknown, source = 'pipeline config'): PipelineConfig {
  const r = PipelineSchema.safeParse(raw);
  if (!r.success)
    throw new Error(
      `${source} is invalid:\n${r.error.issues.map((i) => `  ${i.path.join('.') || '(top level)'}: ${i.message}`).join('\n')}`,
    );
  const c = r.data,
    seen = new Set<string>();
  for (const s of c.stages) {
    if (seen.has(s.name)) throw new Error(`${source}: stage name ${JSON.stringify(s.name)} is used twice`);
    for (const ref of stageRefs(s)) {
      if (ref.startsWith('@') && ref !== '@base' && !seen.has(ref.slice(1).split(':')[0]!))
        throw new Error(
          `${source}: stage ${s.name} refers to ${ref}, which is not an earlier stage (earlier: ${[...seen].join(', ') || 'none'})`,
        );
    }
    seen.add(s.name);
  }
  return c;
}

/** Every model / data reference of a stage. */
export function stageRefs(s: StageConfig): string[] {
  switch (s.kind) {
    case 'cold_start':
      return s.model ? [s.model] : [];
    case 'sft':
      return [s.model, s.data];
    case 'grpo':
    case 'rejection_sampling':
      return [s.model];
    case 'eval':
      return s.models.map((m) => m.model);
    case 'distill':
      return [s.teacher];
  }
}

/** Reads a YAML or JSON file (JSON is YAML) into a validated config. */
export function readPipelineConfig(path: string): PipelineConfig {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`pipeline config ${path}: cannot read it as YAML or JSON: ${(err as Error).message}`);
  }
  return parsePipelineConfig(raw, `pipeline config ${path}`);
}
