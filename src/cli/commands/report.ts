/**
 * `deepseek-ts report <run dir>`: the Markdown page and SVG charts of an R1 pipeline run
 * (src/eval/pipeline-report.ts), comparing every evaluated checkpoint of the run.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Command } from 'commander';
import { loadRun, runCharts, runPage } from '../../eval/pipeline-report.js';
import { writeFileAtomic } from '../../io/atomic-write.js';

export function register(program: Command): void {
  program
    .command('report')
    .description('write a Markdown report with SVG charts comparing every checkpoint of a pipeline run')
    .argument('<run>', 'output_dir of `deepseek-ts pipeline run` (holds pipeline.json)')
    .option('--out <file>', 'the Markdown page (charts go to a folder of the same name without .md)', 'report.md')
    .option('--notes <file>', 'Markdown put at the top of the page')
    .option('--command <text>', 'the command line to show under "Reproduce"')
    .addHelpText('after', '\nExample:\n  deepseek-ts report runs/r1 --out docs/results/r1-pipeline.md')
    .action(async (run: string, o: { out: string; notes?: string; command?: string }) => {
      const d = loadRun(run);
      const chartDir = o.out.replace(/\.md$/, '');
      mkdirSync(chartDir, { recursive: true });
      for (const [name, svg] of runCharts(d)) await writeFileAtomic(join(chartDir, name), Buffer.from(svg));
      const page = runPage(d, {
        chartDir: relative(dirname(o.out), chartDir) || '.',
        ...(o.command ? { command: o.command } : {}),
        ...(o.notes ? { notes: readFileSync(o.notes, 'utf8').trim() } : {}),
      });
      await writeFileAtomic(o.out, Buffer.from(page));
      process.stdout.write(`${o.out}\n`);
    });
}
