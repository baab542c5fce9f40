/**
 * The GRPO run configuration. Names are TRL's `GRPOConfig` where one exists (num_generations,
 * generation_batch_size, per_device_train_batch_size, max_prompt_length, max_completion_length,
 * temperature, top_p, top_k, beta, epsilon, epsilon_high, loss_type, scale_rewards, num_iterations,
 * mask_truncated_completions, sync_ref_model, ref_model_sync_steps, ref_model_mixup_alpha,
 * reward_weights, learning_rate, ... from TrainingArguments); defaults follow DeepSeek-R1-Zero where
 * the paper states them (16 samples per question, temperature 1, KL coefficient 0.001, the
 * per-sequence GRPO loss, std-scaled group advantages) and TRL otherwise. One schema is the single
 * source of truth: its descriptions feed `--help`. Precedence: defaults < file < flags; unknown
 * keys are errors.
 */
import { z } from 'zod';
import { resolveLayers } from '../config/layers.js';
import { LOSS_TYPES } from './aggregate.js';
import { SCALE_REWARDS } from './advantages.js';

export const GrpoConfigSchema = z.strictObject({
  model: z
    .string()
    .min(1)
    .describe(
      'the base model: a checkpoint folder (config.json + model.safetensors) or an output_dir with a `latest` pointer',
    ),
  tokenizer: z.string().min(1).optional().describe('folder holding tokenizer.json (default: the model folder)'),
  output_dir: z
    .string()
    .min(1)
    .default('runs/grpo')
    .describe('where checkpoints, metrics.jsonl, completions.jsonl and latest go'),
  tasks: z
    .record(z.string(), z.number().positive())
    .default({ countdown: 1, arithmetic: 1 })
    .describe('task mix: {task name: sampling weight}'),
  difficulties: z
    .record(z.string(), z.array(z.number().int()))
    .default({})
    .describe("per task, the difficulty levels to draw from (default: all of the task's levels)"),
  languages: z
    .array(z.enum(['en', 'zh']))
    .min(1)
    .default(['en'])
    .describe('prompt languages to draw from'),
  template: z
    .enum(['r1-zero', 'r1'])
    .default('r1-zero')
    .describe(
      'r1-zero: the R1-Zero training template (paper Table 1) on a base model; r1: the chat layout ending in <think>',
    ),
  reward_weights: z
    .record(z.string(), z.number())
    .default({ accuracy: 1, format: 1 })
    .describe('rewards and their weights: accuracy, format, language, length, tinyzero'),
  num_generations: z.number().int().min(2).default(16).describe('G: completions sampled per prompt (R1-Zero: 16)'),
  generation_batch_size: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe('completions per step (prompts per step = generation_batch_size / num_generations)'),
  per_device_train_batch_size: z
    .number()
    .int()
    .positive()
    .default(16)
    .describe('sequences per forward/backward micro-batch in the update'),
  max_prompt_length: z
    .number()
    .int()
    .positive()
    .default(384)
    .describe('longest prompt in tokens (longer prompts are an error)'),
  max_completion_length: z.number().int().positive().default(256).describe('most tokens sampled per completion'),
  temperature: z
    .number()
    .positive()
    .default(1.0)
    .describe('sampling temperature of rollouts (R1-Zero: 1.0); log-probs use the same temperature'),
  top_p: z.number().gt(0).max(1).default(1.0).describe('nucleus sampling mass of rollouts'),
  top_k: z.number().int().min(0).default(0).describe('top-k of rollouts (0: off)'),
  beta: z
    .number()
    .min(0)
    .default(0.001)
    .describe('KL coefficient against the reference policy (R1: 0.001; 0 skips the reference model)'),
  epsilon: z.number().min(0).default(0.2).describe('lower clip range: ratios below 1 - epsilon are clipped'),
  epsilon_high: z.number().min(0).optional().describe('upper clip range (default: epsilon; DAPO clip-higher: 0.28)'),
  loss_type: z
    .enum(LOSS_TYPES as [string, ...string[]])
    .default('grpo')
    .describe(
      'grpo: per-sequence mean then batch mean; dapo: token-level mean over the batch; dr_grpo: token sum / (sequences * max_completion_length)',
    ),
  scale_rewards: z
    .enum(SCALE_REWARDS as [string, ...string[]])
    .default('group')
    .describe('advantage scaling: group std (GRPO), batch std, or none (Dr. GRPO)'),
  num_iterations: z
    .number()
    .int()
    .positive()
    .default(1)
    .describe('policy updates per batch (mu); old log-probs are stored before the first'),
  mask_truncated_completions: z
    .boolean()
    .default(false)
    .describe('exclude completions that hit max_completion_length without a stop token from the loss'),
  sync_ref_model: z.boolean().default(false).describe('refresh the reference policy every ref_model_sync_steps'),
  ref_model_sync_steps: z.number().int().positive().default(512).describe('steps between reference refreshes'),
  ref_model_mixup_alpha: z
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .describe('ref <- alpha * policy + (1 - alpha) * ref at each refresh (1: copy)'),
  learning_rate: z.number().positive().default(1e-6).describe('AdamW learning rate (constant after warmup)'),
  warmup_steps: z.number().int().min(0).default(0).describe('linear learning-rate warmup steps'),
  max_steps: z.number().int().positive().default(200).describe('GRPO steps (one batch of rollouts each)'),
  weight_decay: z.number().min(0).default(0).describe('AdamW weight decay'),
  adam_beta1: z.number().min(0).lt(1).default(0.9).describe('AdamW beta1'),
  adam_beta2: z.number().min(0).lt(1).default(0.99).describe('AdamW beta2'),
  adam_epsilon: z.number().positive().default(1e-8).describe('AdamW epsilon'),
  max_grad_norm: z.number().positive().default(1.0).describe('global gradient-norm clipping'),
  logging_steps: z.number().int().positive().default(1).describe('steps between metrics records'),
  log_completions_steps: z
    .number()
    .int()
    .min(0)
    .default(10)
    .describe('steps between sample completions written to completions.jsonl (0: never)'),
  num_completions_to_print: z.number().int().min(0).default(4).describe('completions logged each time'),
  save_steps: z.number().int().min(0).default(50).describe('steps between checkpoints (0: only at the end)'),
  save_total_limit: z.number().int().min(0).default(2).describe('checkpoints kept (0: all)'),
  seed: z.number().int().default(42).describe('seed of the prompt stream and the sampling'),
  threads: z.number().int().positive().optional().describe('compute threads (default: all cores)'),
});

export type GrpoConfig = z.infer<typeof GrpoConfigSchema>;
export const GRPO_CONFIG_KEYS = Object.keys(GrpoConfigSchema.shape) as (keyof GrpoConfig)[];

/** Validates config layers merged in order (later wins). Errors list every bad key. */
export function resolveGrpoConfig(layers: readonly Record<string, unknown>[], source = 'grpo config'): GrpoConfig {
  const c = resolveLayers(GrpoConfigSchema, layers, source);
  if (c.generation_batch_size % c.num_generations !== 0) {
    throw new Error(
      `${source}: generation_batch_size ${c.generation_batch_size} must be a multiple of num_generations ${c.num_generations}`,
    );
  }
  return c;
}
