/**
 * `deepseek-ts r1-zero-results`: the R1-Zero results of issue 14 in two steps. First the finished
 * stages of recipes/r1-zero-final.yaml and the base pretraining runs are collected into small
 * committed files (src/eval/r1-zero-collect.ts); then the page (README.md), its charts and
 * summary.json are generated from those files alone (src/eval/r1-zero-page.ts). `--no-collect`
 * regenerates the page from the committed files, with no runs present.
 */
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { chatApiEval } from '../../eval/chat-api-eval.js';
import { collectR1ZeroResults } from '../../eval/r1-zero-collect.js';
import { r1ZeroCurves, r1ZeroPage, r1ZeroSummary, readR1ZeroFiles } from '../../eval/r1-zero-page.js';

interface Flags {
  runs: string;
  dataset: string;
  bases: string;
  out: string;
  collect: boolean;
  chatApi?: string;
}

/** "arm=dir,arm=dir" to base runs. */
function parseBases(s: string): { arm: string; dir: string }[] {
  return s.split(',').map((part) => {
    const [arm, dir] = part.split('=');
    if (!arm || !dir)
      throw new Error(`--bases: expected arm=dir pairs separated by commas, got ${JSON.stringify(part)}`);
    return { arm, dir };
  });
}

export function register(program: Command): void {
  program
    .command('r1-zero-results')
    .description(
      'collect the final R1-Zero runs (recipes/r1-zero-final.yaml) into committed files, then generate the results page and summary.json from them',
    )
    .option('--runs <dir>', "the final recipe's output_dir", 'runs/r1-zero/final')
    .option('--dataset <dir>', 'the data build folder whose test splits were evaluated', 'runs/r1-zero/data')
    .option(
      '--bases <list>',
      'arm=pretraining output_dir pairs',
      'primed=runs/r1-zero/base,optimal=runs/r1-zero/base-optimal,wrong=runs/r1-zero/base-wrong',
    )
    .option('--out <dir>', 'the committed results folder', 'docs/results/r1-zero')
    .option('--no-collect', 'only regenerate the page, charts and summary.json from the committed files')
    .option(
      '--chat-api <model>',
      'also ask a served model (e.g. models/r1-tiny) the shipped-model questions through the chat API: shipped-model.json',
    )
    .action(async (o: Flags) => {
      if (o.collect) {
        const names = await collectR1ZeroResults({
          runsDir: o.runs,
          datasetDir: o.dataset,
          bases: parseBases(o.bases),
          out: o.out,
        });
        process.stderr.write(`collected ${names.length}: ${names.join(', ')}\n`);
      }
      if (o.chatApi) {
        const r = await chatApiEval({
          model: o.chatApi,
          datasetDir: o.dataset,
          arithmetic: 200,
          offTask: 50,
          countdown: 200,
          countdownSeed: 1014,
          maxTokens: 974,
        });
        await writeFileAtomic(join(o.out, 'shipped-model.json'), Buffer.from(`${JSON.stringify(r, null, 1)}\n`));
        for (const [g, x] of Object.entries(r.groups)) process.stderr.write(`${g}: ${x.right}/${x.questions} right\n`);
      }
      const files = readR1ZeroFiles(o.out);
      const charts = r1ZeroCurves(files);
      for (const [name, svg] of charts) await writeFileAtomic(join(o.out, name), Buffer.from(svg));
      await writeFileAtomic(
        join(o.out, 'summary.json'),
        Buffer.from(`${JSON.stringify(r1ZeroSummary(files), null, 2)}\n`),
      );
      await writeFileAtomic(join(o.out, 'README.md'), Buffer.from(r1ZeroPage(files, [...charts.keys()])));
      process.stdout.write(`${join(o.out, 'README.md')}\n`);
    });
}
