/**
 * The run configuration of `pretrain` and `sft`: Hugging Face `TrainingArguments` names where one
 * exists (learning_rate, per_device_train_batch_size, gradient_accumulation_steps, max_steps,
 * warmup_steps, weight_decay, adam_beta1/2, adam_epsilon, max_grad_norm, seed, eval_steps,
 * save_steps, logging_steps, output_dir, lr_scheduler_type), TRL's max_seq_length, and DeepSeek-V3's
 * training knobs (V3 paper 2.1.2, 2.2, 3.3, 4.2) under names of our own. One schema is the single
 * source of truth: its descriptions feed `--help`, its defaults are the V3 recipe scaled down.
 * Precedence: defaults < config file < flags; unknown keys are errors.
 */
import { z } from 'zod';
import { resolveLayers } from '../config/layers.js';

export const RunConfigSchema = z.strictObject({
  model: z
    .string()
    .min(1)
    .default('tiny')
    .describe('model: a run preset name (tiny, small), a DeepSeek-V3 preset, a config.json or a checkpoint folder'),
  dataset_dir: z
    .string()
    .min(1)
    .default('data/tiny')
    .describe('output folder of `deepseek-ts data build` (shards/pretrain, tokenizer/, test/, sft.jsonl)'),
  output_dir: z.string().min(1).default('runs/tiny').describe('where checkpoints, metrics.jsonl and latest go'),
  init_from: z
    .string()
    .min(1)
    .optional()
    .describe('start from this checkpoint folder (SFT: the base model); weights only'),
  learning_rate: z.number().positive().default(3e-3).describe('peak learning rate'),
  min_lr_ratio: z.number().min(0).max(1).default(0.1).describe('final learning rate as a fraction of the peak'),
  lr_scheduler_type: z
    .enum(['warmup_stable_cosine', 'cosine'])
    .default('warmup_stable_cosine')
    .describe('V3: warmup, constant, cosine decay; or warmup then cosine'),
  warmup_steps: z.number().int().min(0).default(50).describe('linear warmup steps'),
  stable_ratio: z
    .number()
    .min(0)
    .max(1)
    .default(0.6)
    .describe('warmup_stable_cosine: share of the post-warmup steps held at the peak'),
  per_device_train_batch_size: z.number().int().positive().default(8).describe('sequences per micro-batch'),
  gradient_accumulation_steps: z.number().int().positive().default(1).describe('micro-batches per optimizer step'),
  max_seq_length: z.number().int().min(2).default(256).describe('tokens per packed sequence'),
  max_steps: z.number().int().positive().default(1000).describe('optimizer steps'),
  weight_decay: z.number().min(0).default(0.1).describe('AdamW decoupled weight decay (norms and biases excluded)'),
  adam_beta1: z.number().min(0).lt(1).default(0.9).describe('AdamW beta1'),
  adam_beta2: z.number().min(0).lt(1).default(0.95).describe('AdamW beta2 (V3: 0.95)'),
  adam_epsilon: z.number().positive().default(1e-8).describe('AdamW epsilon'),
  max_grad_norm: z.number().positive().default(1.0).describe('global gradient-norm clipping'),
  seed: z.number().int().default(42).describe('seed of the weights, the data order and every other draw'),
  logging_steps: z.number().int().positive().default(10).describe('steps between metrics records'),
  eval_steps: z.number().int().min(0).default(100).describe('steps between held-out evaluations (0: only at the end)'),
  eval_batches: z.number().int().positive().default(4).describe('held-out batches per evaluation'),
  save_steps: z.number().int().min(0).default(200).describe('steps between checkpoints (0: only at the end)'),
  save_total_limit: z.number().int().min(0).default(2).describe('checkpoints kept (0: all)'),
  bias_update_speed: z
    .number()
    .min(0)
    .default(0.001)
    .describe('aux-loss-free balancing gamma (V3: 0.001); 0 turns it off'),
  seq_aux_alpha: z
    .number()
    .min(0)
    .default(0)
    .describe('sequence-wise balance loss weight (V3: 0.0001); 0 turns it off'),
  aux_loss_alpha: z
    .number()
    .min(0)
    .default(0)
    .describe('classic batch-wise auxiliary balance loss weight (for comparison); 0 turns it off'),
  mtp_depth: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('MTP modules D (overrides num_nextn_predict_layers of the model config; V3: 1)'),
  mtp_lambda: z.number().min(0).default(0.3).describe('MTP loss weight lambda (V3: 0.3 early, 0.1 late)'),
  precision: z
    .enum(['fp32', 'fp8'])
    .default('fp32')
    .describe('fp8: every Linear GEMM of the blocks in simulated E4M3 with 1x128 / 128x128 scales (V3 paper 3.3)'),
  max_consecutive_nonfinite: z
    .number()
    .int()
    .positive()
    .default(5)
    .describe('stop after this many skipped (non-finite) steps in a row'),
  threads: z.number().int().positive().optional().describe('compute threads (default: all cores)'),
});

export type RunConfig = z.infer<typeof RunConfigSchema>;

/**
 * The defaults of every SFT run (`deepseek-ts sft` and the pipeline's `sft` stage), over the schema's:
 * R1 fine-tunes for 2 epochs; here a number of steps with a lower, decaying learning rate.
 */
export const SFT_DEFAULTS: Readonly<Partial<RunConfig>> = Object.freeze({
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

/** Names of every run-config key (for flag mapping and help). */
export const RUN_CONFIG_KEYS = Object.keys(RunConfigSchema.shape) as (keyof RunConfig)[];

/**
 * Validates `layers` merged in order (later wins: defaults < preset < file < flags).
 * Errors list each bad key with what was expected; `source` names where the values came from.
 */
export function resolveRunConfig(layers: readonly Record<string, unknown>[], source = 'run config'): RunConfig {
  return resolveLayers(RunConfigSchema, layers, source);
}
