/**
 * `deepseek-ts pretrain`: trains a DeepSeek-V3-architecture base model on the token shards of
 * `data build` (aux-loss-free balancing, MTP, optional FP8 GEMMs), with a progress bar, metrics
 * JSONL and atomic, resumable checkpoints. Every run-config key is also a flag (`--learning-rate`,
 * `--max-steps`, ...); precedence: defaults < preset < --config file < flags. Also exports the
 * option wiring and the progress rendering that `sft` shares.
 */
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { addSchemaOptions, flagLayer, readConfigFile, resumeTarget } from '../../config/layers.js';
import { RunConfigSchema } from '../../train/config.js';
import { runPresetNames } from '../../train/presets.js';
import { runTraining, type RunKind, type RunRequest } from '../../train/session.js';

/** Adds --config, --resume and one flag per run-config key (src/config/layers.ts). */
export function addRunOptions(cmd: Command): Command {
  cmd
    .option('--config <file>', 'run config JSON or YAML (TrainingArguments names; unknown keys are errors)')
    .option(
      '--resume [path]',
      'resume from a checkpoint folder or an output_dir (its `latest`); default: --output-dir',
    );
  return addSchemaOptions(cmd, RunConfigSchema);
}

/** The --config file and the flags as the two top config layers (defaults < file < flags). */
export function runLayers(opts: Record<string, unknown>): [Record<string, unknown>, Record<string, unknown>] {
  return [readConfigFile(opts.config as string | undefined, '--config'), flagLayer(RunConfigSchema, opts)];
}

const fmt = (x: unknown): string =>
  typeof x === 'number'
    ? Math.abs(x) >= 100
      ? x.toFixed(0)
      : x.toPrecision(4)
    : Array.isArray(x)
      ? `[${x.map(fmt).join(' ')}]`
      : String(x);

/** Runs a training job with terminal progress; `defaults` sit under the preset/file/flags layers. */
export async function runWithProgress(
  kind: RunKind,
  opts: Record<string, unknown>,
  defaults: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const [file, flags] = runLayers(opts);
  const resume = resumeTarget(opts.resume, RunConfigSchema, [defaults, file, flags]);
  const bar = new SingleBar({
    format: `  ${kind} {value}/{total} |{bar}| loss {loss} | lr {lr} | {tps} tok/s | ETA {eta_formatted}`,
    hideCursor: true,
    noTTYOutput: false,
    etaBuffer: 50,
  });
  const log = (s: string) => {
    if (process.stderr.isTTY) bar.updateETA();
    process.stderr.write(`${(process.stderr.isTTY ? '\r\x1b[K' : '') + s}\n`);
  };
  let started = false;
  const onEvent: RunRequest['onEvent'] = (e) => {
    switch (e.type) {
      case 'start':
        for (const w of e.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stderr.write(
          `${kind}: ${e.config.model}, ${(e.parameters / 1e6).toFixed(2)}M parameters, ${e.config.precision}, ` +
            `${e.config.max_steps} steps -> ${e.config.output_dir}` +
            (e.resumedFrom ? ` (resumed from ${e.resumedFrom} at step ${e.step})` : '') +
            '\n',
        );
        if (process.stderr.isTTY) {
          bar.start(e.config.max_steps, e.step, { loss: '-', lr: '-', tps: '-' });
          started = true;
        }
        break;
      case 'step':
        if (started)
          bar.update(e.step, { loss: e.loss.toFixed(4), lr: e.lr.toExponential(2), tps: Math.round(e.tokensPerSec) });
        break;
      case 'log':
        if (!started)
          log(
            `step ${e.record.step} loss ${fmt(e.record.loss)} lr ${fmt(e.record.lr)} ${fmt(e.record.tokens_per_sec)} tok/s` +
              (e.record.maxvio_mean !== undefined ? ` maxvio ${fmt(e.record.maxvio_mean)}` : '') +
              (e.record.mtp_loss !== undefined ? ` mtp ${fmt(e.record.mtp_loss)}` : ''),
          );
        break;
      case 'eval':
        log(
          `eval @ ${e.record.step}: ${Object.entries(e.record)
            .filter(([k]) => k.startsWith('val_'))
            .map(([k, v]) => `${k} ${fmt(v)}`)
            .join(', ')}`,
        );
        break;
      case 'skip':
        log(`step ${e.step} skipped: non-finite ${e.reason} (${e.consecutive} in a row)`);
        break;
      case 'save':
        log(`saved ${e.path}`);
        break;
      case 'stopped':
        log(`stopped at step ${e.step} (Ctrl-C); continue with --resume`);
        break;
    }
  };
  // Ctrl-C: finish the current step, save a checkpoint, exit. A second Ctrl-C exits at once.
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    log('Ctrl-C: saving a checkpoint after this step (press again to quit without saving)');
  };
  process.on('SIGINT', onSigint);
  const layers = [defaults, file, flags];
  try {
    const r = await runTraining({ kind, layers, ...(resume ? { resume } : {}), onEvent, stopRequested: () => stop });
    process.off('SIGINT', onSigint);
    if (started) bar.stop();
    process.stdout.write(`${JSON.stringify({ output_dir: r.outputDir, ...r.final })}\n`);
  } catch (err) {
    if (started) bar.stop();
    throw err;
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('pretrain')
    .description(
      `train a DeepSeek-V3-architecture base model on the token shards of \`data build\` (presets: ${runPresetNames().join(', ')})`,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  deepseek-ts data build docs/results/configs/tiny-data.json\n  deepseek-ts pretrain ' +
        '--model tiny --dataset-dir data/tiny --output-dir runs/tiny\n  deepseek-ts pretrain --resume ' +
        'runs/tiny --max-steps 3000\n  deepseek-ts pretrain --config run.json --precision fp8',
    );
  addRunOptions(cmd).action((opts: Record<string, unknown>) => runWithProgress('pretrain', opts));
}
