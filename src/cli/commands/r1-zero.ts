/**
 * `deepseek-ts r1-zero`: the R1-Zero experiment in one command, as a recipe of the pipeline runner
 * (recipes/r1-zero.yaml, src/rl/r1-zero.ts): evaluate the base model, GRPO with the R1-Zero
 * template and rule-based rewards, evaluate again, write the results page with its charts.
 * Rerunning it skips finished stages and resumes GRPO; extra GRPO keys come from --config.
 */
import type { Command } from 'commander';
import { describeKey, readConfigFile } from '../../config/layers.js';
import { GrpoConfigSchema } from '../../rl/config.js';
import { runPipeline } from '../../pipeline/runner.js';
import { STAGE_RUNNERS } from '../../pipeline/stages.js';
import { r1ZeroRecipe } from '../../rl/r1-zero.js';
import { intOption } from '../options.js';
import { renderPipelineEvent } from './pipeline.js';

interface R1ZeroFlags {
  base: string;
  dataset: string;
  outputDir: string;
  results: string;
  tasks?: string;
  notes?: string;
  config?: string;
  maxSteps?: number;
  evalLimit?: number;
  k?: number;
  threads?: number;
  until?: string;
}

/** The command line as the page prints it (what reproduces the run). */
function commandLine(o: R1ZeroFlags): string {
  return [
    'deepseek-ts r1-zero',
    `--base ${o.base}`,
    `--dataset ${o.dataset}`,
    `--output-dir ${o.outputDir}`,
    `--results ${o.results}`,
    ...(o.tasks ? [`--tasks ${o.tasks}`] : []),
    ...(o.notes ? [`--notes ${o.notes}`] : []),
    ...(o.config ? [`--config ${o.config}`] : []),
    ...(o.maxSteps !== undefined ? [`--max-steps ${o.maxSteps}`] : []),
    ...(o.evalLimit !== undefined ? [`--eval-limit ${o.evalLimit}`] : []),
    ...(o.k !== undefined ? [`--k ${o.k}`] : []),
  ].join(' ');
}

export function register(program: Command): void {
  program
    .command('r1-zero')
    .description(
      'R1-Zero at small scale (recipes/r1-zero.yaml): eval the base model, GRPO (accuracy + format ' +
        'rewards, R1-Zero template) on countdown and arithmetic, eval again, write the results page',
    )
    .requiredOption('--base <path>', 'base model checkpoint folder or pretraining output_dir (its `latest`)')
    .requiredOption(
      '--dataset <dir>',
      'the `data build` folder the base was trained on (held-out test splits, tokenizer)',
    )
    .option('--output-dir <dir>', 'the run folder: one sub-folder per stage (eval-before, grpo, ...)', 'runs/r1-zero')
    .option('--results <file>', 'results page (charts go to a folder beside it)', 'docs/results/r1-zero.md')
    .option(
      '--tasks <list>',
      'comma-separated task mix (default countdown,arithmetic), equal weights, difficulty levels 1-2',
    )
    .option('--notes <file>', 'markdown file whose text goes above the results table')
    .option('--config <file>', 'GRPO config keys (JSON or YAML) over the recipe\'s (e.g. {"max_steps": 120})')
    .option(
      '--max-steps <n>',
      `${describeKey(GrpoConfigSchema, 'max_steps')} (over --config)`,
      intOption('--max-steps'),
    )
    .option('--eval-limit <n>', "held-out problems per task (default: the recipe's, 40)", intOption('--eval-limit'))
    .option('--k <n>', "samples per problem, pass@1 over k and cons@k (default: the recipe's, 8)", intOption('--k'))
    .option('--threads <n>', describeKey(GrpoConfigSchema, 'threads'), intOption('--threads'))
    .option('--until <stage>', 'stop after this stage (eval-before, grpo, eval-after, report)')
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts r1-zero --base runs/tiny --dataset runs/data-tiny --output-dir runs/r1-zero',
    )
    .action(async (o: R1ZeroFlags) => {
      const c = r1ZeroRecipe({
        base: o.base,
        datasetDir: o.dataset,
        outputDir: o.outputDir,
        results: o.results,
        ...(o.tasks
          ? {
              tasks: o.tasks
                .split(',')
                .map((t) => t.trim())
                .filter(Boolean),
            }
          : {}),
        layers: [
          readConfigFile(o.config, '--config'),
          ...(o.maxSteps !== undefined ? [{ max_steps: o.maxSteps }] : []),
        ],
        ...(o.evalLimit !== undefined ? { evalLimit: o.evalLimit } : {}),
        ...(o.k !== undefined ? { k: o.k } : {}),
        command: commandLine(o),
        ...(o.notes ? { notes: o.notes } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
      });
      await runPipeline(c, STAGE_RUNNERS, { ...(o.until ? { until: o.until } : {}), onEvent: renderPipelineEvent });
      process.stdout.write(`${o.results}\n`);
    });
}
