/**
 * `deepseek-ts sft`: supervised fine-tuning (R1 paper 2.3) of a checkpoint on the chat records of
 * `data build` (sft.jsonl): R1 layout, loss only on assistant tokens, records packed into rows.
 * Same loop, checkpoints, metrics and flags as `pretrain`; starts from --init-from. Defaults:
 * SFT_DEFAULTS (src/train/config.ts), the same as the pipeline's `sft` stage.
 */
import type { Command } from 'commander';
import { SFT_DEFAULTS } from '../../train/config.js';
import { addRunOptions, runWithProgress } from './pretrain.js';

export function register(program: Command): void {
  const cmd = program
    .command('sft')
    .description('fine-tune a checkpoint on chat records (loss on assistant tokens only, packed)')
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts sft --init-from runs/tiny --dataset-dir runs/data-tiny --output-dir runs/tiny-sft --max-steps 300',
    );
  addRunOptions(cmd).action((opts: Record<string, unknown>) => {
    if (opts.initFrom === undefined && opts.resume === undefined && opts.config === undefined) {
      throw new Error('sft: pass --init-from <checkpoint folder or output_dir> (the base model), or --resume');
    }
    return runWithProgress('sft', opts, SFT_DEFAULTS);
  });
}
