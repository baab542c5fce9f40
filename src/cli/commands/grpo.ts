/**
 * `deepseek-ts grpo [config.json]`: GRPO with rule-based rewards on a base or chat model (R1 paper
 * 2.2; names of TRL's GRPOConfig). Every config key is also a flag (`--num-generations`, `--beta`,
 * ...); precedence: defaults < config file < flags (src/config/layers.ts, as for every command). Prints one line per step and sample completions;
 * metrics go to <output_dir>/metrics.jsonl, completions to completions.jsonl.
 */
import type { Command } from 'commander';
import { addSchemaOptions, flagLayer, readConfigFile, resumeTarget } from '../../config/layers.js';
import { GrpoConfigSchema } from '../../rl/config.js';
import { runGrpo, type GrpoRunEvent } from '../../rl/session.js';

const f = (x: unknown, d = 3) => (typeof x === 'number' ? x.toFixed(d) : '-');

/** Renders run events on stderr. */
export function renderGrpoEvent(e: GrpoRunEvent, label = 'grpo'): void {
  const w = (s: string) => process.stderr.write(`${s}\n`);
  switch (e.type) {
    case 'start':
      for (const x of e.warnings) w(`warning: ${x}`);
      w(
        `${label}: ${e.config.model}, ${(e.parameters / 1e6).toFixed(2)}M parameters, ` +
          `${e.config.generation_batch_size / e.config.num_generations} prompts x ${e.config.num_generations} per step, ` +
          `${e.config.max_steps} steps -> ${e.config.output_dir}` +
          (e.resumedFrom ? ` (resumed from ${e.resumedFrom} at step ${e.step})` : ''),
      );
      break;
    case 'step': {
      const r = e.record;
      w(
        `step ${e.step}/${e.maxSteps} reward ${f(r.reward)} acc ${f(r.accuracy)} len ` +
          `${f(r.completion_length_mean, 1)} zero-spread ${f(r.zero_spread_share, 2)} kl ${f(r.kl, 4)} ` +
          `clip ${f(r.clip_ratio)} ent ${f(r.entropy)} reflect ${f(r.reflection_rate, 2)} | rollout ` +
          `${f(r.rollout_tokens_per_sec, 0)} tok/s, update ${f(r.update_tokens_per_sec, 0)} tok/s | ETA ${Math.round(e.etaSec)} s`,
      );
      break;
    }
    case 'completions':
      for (const s of e.samples.slice(0, 2))
        w(`  [${s.task}] reward ${f(s.reward, 2)}: ${JSON.stringify(s.response.slice(0, 300))}`);
      break;
    case 'skip':
      w(`step ${e.step} skipped: ${e.reason}`);
      break;
    case 'save':
      w(`saved ${e.path}`);
      break;
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('grpo')
    .description(
      'GRPO with rule-based rewards (accuracy, format, language, tinyzero) on the task mix, from a base or chat checkpoint',
    )
    .argument('[config]', 'GRPO config JSON or YAML (TRL GRPOConfig names; unknown keys are errors)')
    .option('--config <file>', 'the same config file as a flag (as for pretrain and sft)')
    .option(
      '--resume [path]',
      'resume from a checkpoint folder or an output_dir (its `latest`); default: the output_dir',
    );
  addSchemaOptions(cmd, GrpoConfigSchema);
  cmd.addHelpText(
    'after',
    '\nExamples:\n  deepseek-ts grpo --model runs/tiny --output-dir runs/grpo --tasks \'{"countdown": ' +
      "1}' --reward-weights '{\"tinyzero\": 1}'\n  deepseek-ts grpo run.json --beta 0 --loss-type " +
      'dr_grpo --scale-rewards none\n  deepseek-ts grpo --resume runs/grpo --max-steps 400',
  );
  cmd.action(async (config: string | undefined, opts: Record<string, unknown>) => {
    if (config && opts.config) throw new Error('grpo: pass the config file once (as the argument or as --config)');
    const file = readConfigFile(config ?? (opts.config as string | undefined), 'grpo'),
      flags = flagLayer(GrpoConfigSchema, opts);
    const resume = resumeTarget(opts.resume, GrpoConfigSchema, [file, flags]);
    const r = await runGrpo({
      layers: [file, flags],
      ...(resume ? { resume } : {}),
      onEvent: (e) => renderGrpoEvent(e),
    });
    process.stdout.write(`${JSON.stringify({ output_dir: r.outputDir, ...(r.last ?? {}) })}\n`);
  });
}
