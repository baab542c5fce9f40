/**
 * `deepseek-ts r1-zero`: the R1-Zero experiment in one command (src/rl/r1-zero.ts): evaluate the
 * base model, GRPO with the R1-Zero template and rule-based rewards, evaluate again, write the
 * results page with its charts. Rerunning it resumes; extra GRPO keys come from --config.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { runR1Zero } from '../../rl/r1-zero.js';
import { intOption } from '../options.js';
import { jsonFileLayer, renderGrpoEvent } from './grpo.js';

export function register(program: Command): void {
  program
    .command('r1-zero')
    .description(
      'R1-Zero at small scale: eval the base model, GRPO (accuracy + format rewards, R1-Zero template) on countdown and arithmetic, eval again, write the results page',
    )
    .requiredOption('--base <path>', 'base model checkpoint folder or pretraining output_dir (its `latest`)')
    .requiredOption(
      '--dataset <dir>',
      'the `data build` folder the base was trained on (held-out test splits, tokenizer)',
    )
    .option('--output-dir <dir>', 'GRPO checkpoints, metrics and evals', 'runs/r1-zero')
    .option('--results <file>', 'results page (charts go to a folder beside it)', 'docs/results/r1-zero.md')
    .option(
      '--tasks <list>',
      'comma-separated task mix (default countdown,arithmetic), equal weights, difficulty levels 1-2',
    )
    .option('--notes <file>', 'markdown file whose text goes above the results table')
    .option('--config <file>', 'GRPO config keys over the R1-Zero defaults (e.g. {"max_steps": 120})')
    .option('--max-steps <n>', 'GRPO steps (overrides the config)', intOption('--max-steps'))
    .option('--eval-limit <n>', 'held-out problems per task', intOption('--eval-limit'), 40)
    .option('--k <n>', 'samples per problem (pass@1 over k, cons@k)', intOption('--k'), 8)
    .option('--threads <n>', 'compute threads', intOption('--threads'))
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts r1-zero --base runs/tiny --dataset runs/data-tiny --output-dir runs/r1-zero',
    )
    .action(
      async (o: {
        base: string;
        dataset: string;
        outputDir: string;
        results: string;
        tasks?: string;
        notes?: string;
        config?: string;
        maxSteps?: number;
        evalLimit: number;
        k: number;
        threads?: number;
      }) => {
        const names = o.tasks
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        const taskLayer = names
          ? [
              {
                tasks: Object.fromEntries(names.map((t) => [t, 1])),
                difficulties: Object.fromEntries(names.map((t) => [t, [1, 2]])),
              },
            ]
          : [];
        const layers = [
          ...taskLayer,
          jsonFileLayer(o.config, '--config'),
          ...(o.maxSteps !== undefined ? [{ max_steps: o.maxSteps }] : []),
        ];
        const command = [
          'deepseek-ts r1-zero',
          `--base ${o.base}`,
          `--dataset ${o.dataset}`,
          `--output-dir ${o.outputDir}`,
          `--results ${o.results}`,
          ...(o.tasks ? [`--tasks ${o.tasks}`] : []),
          ...(o.notes ? [`--notes ${o.notes}`] : []),
          ...(o.config ? [`--config ${o.config}`] : []),
          ...(o.maxSteps !== undefined ? [`--max-steps ${o.maxSteps}`] : []),
          `--eval-limit ${o.evalLimit}`,
          `--k ${o.k}`,
        ].join(' ');
        const page = await runR1Zero(
          {
            base: o.base,
            datasetDir: o.dataset,
            outputDir: o.outputDir,
            results: o.results,
            layers,
            evalLimit: o.evalLimit,
            k: o.k,
            command,
            ...(o.notes ? { notes: readFileSync(o.notes, 'utf8').trim() } : {}),
            ...(o.threads ? { threads: o.threads } : {}),
          },
          (e) => {
            if (e.type === 'stage') process.stderr.write(`== ${e.stage}: ${e.detail}\n`);
            else if (e.type === 'eval-progress')
              process.stderr.write(`\r  ${e.task}: ${e.done}/${e.total}${e.done === e.total ? '\n' : ''}`);
            else renderGrpoEvent(e, 'r1-zero');
          },
        );
        process.stdout.write(`${page}\n`);
      },
    );
}
