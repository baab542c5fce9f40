/**
 * `deepseek-ts distill`: R1's distillation (paper 2.4) as a one-stage pipeline (src/distill): the
 * teacher writes the distillation set, two Qwen2 students of different sizes get a base and are
 * fine-tuned on it by SFT only, and the smaller one is also trained by GRPO from its base for the
 * same wall-clock time. Reruns skip what is done. Keys of the distill stage come from --config.
 */
import type { Command } from 'commander';
import { readConfigFile } from '../../config/layers.js';
import { parsePipelineConfig } from '../../pipeline/config.js';
import { runPipeline } from '../../pipeline/runner.js';
import { STAGE_RUNNERS } from '../../pipeline/stages.js';
import { intOption } from '../options.js';
import { renderPipelineEvent } from './pipeline.js';

/** Two student sizes (Qwen2 configs), the small one also trained by RL. */
export const DEFAULT_STUDENTS = [
  {
    name: 'qwen2-s',
    config: {
      hidden_size: 64,
      intermediate_size: 192,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    },
  },
  {
    name: 'qwen2-m',
    config: {
      hidden_size: 128,
      intermediate_size: 384,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 2,
    },
  },
];

/** GRPO keys of the RL student over the grpo defaults: the reasoning RL of recipes (R1 paper 2.3) at tiny scale. */
export const DEFAULT_RL_ARGS = {
  template: 'r1',
  tasks: { countdown: 1, arithmetic: 1 },
  difficulties: { countdown: [1, 2], arithmetic: [1, 2] },
  reward_weights: { accuracy: 1, format: 1, language: 1 },
  num_generations: 8,
  generation_batch_size: 32,
  max_completion_length: 200,
  learning_rate: 2e-5,
  warmup_steps: 2,
  max_steps: 20,
  save_steps: 5,
  log_completions_steps: 5,
};

export function register(program: Command): void {
  program
    .command('distill')
    .description(
      'distil a teacher into two dense Qwen2 students by SFT, plus an RL-trained student at equal wall-clock time',
    )
    .requiredOption('--teacher <path>', 'the teacher checkpoint (e.g. the final R1 stage)')
    .requiredOption('--dataset <dir>', '`data build` folder: tokenizer/, shards/pretrain (student bases), test/')
    .option('--output-dir <dir>', 'where the distillation set and students go', 'runs/distill')
    .option(
      '--config <file>',
      'YAML/JSON keys of the distill stage (tasks, students, base_args, sft_args, rl_student, rl_args, num_samples, ...)',
    )
    .option('--threads <n>', 'compute threads', intOption('--threads'))
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts distill --teacher runs/r1/rl-final/checkpoints --dataset runs/data-tiny --output-dir runs/distill',
    )
    .action(async (o: { teacher: string; dataset: string; outputDir: string; config?: string; threads?: number }) => {
      const keys = readConfigFile(o.config, 'distill --config');
      const c = parsePipelineConfig(
        {
          output_dir: o.outputDir,
          dataset_dir: o.dataset,
          base: o.teacher,
          ...(o.threads ? { threads: o.threads } : {}),
          stages: [
            {
              name: 'distill',
              kind: 'distill',
              teacher: o.teacher,
              tasks: { countdown: 64, arithmetic: 64 },
              students: DEFAULT_STUDENTS,
              rl_student: 'qwen2-s',
              ...keys,
              rl_args: { ...DEFAULT_RL_ARGS, ...(keys.rl_args as object | undefined) },
            },
          ],
        },
        o.config ? `distill config ${o.config}` : 'distill config',
      );
      const [m] = await runPipeline(c, STAGE_RUNNERS, { onEvent: renderPipelineEvent });
      process.stdout.write(`${JSON.stringify({ output_dir: o.outputDir, models: m?.outputs?.models ?? {} })}\n`);
    });
}
