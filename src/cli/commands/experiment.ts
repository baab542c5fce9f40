/**
 * `deepseek-ts experiment <balance|mtp|fp8>`: runs the arms of one issue-5 experiment (same data,
 * seed and steps) and writes side-by-side SVG charts and results.json to docs/results/<name>/.
 * Run settings come from --config and the usual run-config flags (defaults: a short tiny run).
 * `experiment page` regenerates the tables of docs/results/README.md from the committed results.
 */
import type { Command } from 'commander';
import { baseModelReport, EXPERIMENTS, runExperiment } from '../../train/experiments.js';
import { updateResultsPage } from '../../train/experiment-page.js';
import { addRunOptions, runLayers } from './pretrain.js';

/** A few minutes per arm on the 2-core machine. */
const EXPERIMENT_DEFAULTS = {
  model: 'tiny',
  max_steps: 150,
  warmup_steps: 15,
  per_device_train_batch_size: 4,
  max_seq_length: 128,
  eval_steps: 25,
  eval_batches: 4,
  logging_steps: 5,
  save_steps: 0,
  save_total_limit: 1,
};

export function register(program: Command): void {
  const cmd = program
    .command('experiment')
    .description(
      `run a V3 training experiment side by side (${Object.keys(EXPERIMENTS).join(', ')}) and chart it into docs/results/<name>/`,
    )
    .argument(
      '<name>',
      `${Object.entries(EXPERIMENTS)
        .map(([k, e]) => `${k}: ${e.claim}`)
        .join('; ')}; base-model: charts and greedy held-out accuracy per task of a trained run (--output-dir); ` +
        'page: regenerate the tables of <results-dir>/README.md from the committed results.json files',
    )
    .option('--per-task <n>', 'base-model: held-out problems per task', '50')
    .option('--max-new-tokens <n>', 'base-model: greedy decoding budget', '256')
    .option('--runs-dir <dir>', "where the arms' checkpoints and metrics go", 'runs/experiments')
    .option('--results-dir <dir>', 'where charts and results.json go', 'docs/results');
  addRunOptions(cmd).action(async (name: string, opts: Record<string, unknown>) => {
    const [file, flags] = runLayers(opts);
    const base: Record<string, unknown> = { ...EXPERIMENT_DEFAULTS, ...file, ...flags };
    if (name === 'page') {
      const changed = await updateResultsPage(opts.resultsDir as string);
      process.stdout.write(
        `${opts.resultsDir as string}/README.md ${changed ? 'regenerated' : 'already up to date'}\n`,
      );
      return;
    }
    if (name === 'base-model') {
      const r = await baseModelReport(
        String(base.output_dir ?? 'runs/tiny'),
        String(base.dataset_dir ?? 'data/tiny'),
        opts.resultsDir as string,
        Number(opts.perTask),
        Number(opts.maxNewTokens),
        base.threads as number | undefined,
      );
      process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      return;
    }
    const r = await runExperiment(name, base, opts.runsDir as string, opts.resultsDir as string, (e) => {
      if (e.type === 'start') process.stderr.write(`${name}: arm -> ${e.config.output_dir}\n`);
      if (e.type === 'eval')
        process.stderr.write(
          `  eval @ ${e.record.step}: val_loss ${Number(e.record.val_loss).toFixed(4)}` +
            (e.record.val_maxvio_mean !== undefined ? ` maxvio ${Number(e.record.val_maxvio_mean).toFixed(3)}` : '') +
            '\n',
        );
    });
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  });
}
