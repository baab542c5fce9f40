/** `deepseek-ts plot <metrics.jsonl>`: SVG charts of a run (loss, learning rate, MaxVio, MTP loss). */
import { mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { readMetrics } from '../../train/metrics.js';
import { metricsCharts } from '../../train/plot.js';

export function register(program: Command): void {
  program
    .command('plot')
    .description('render SVG charts (loss, learning rate, MaxVio, MTP loss) from a metrics.jsonl of pretrain/sft')
    .argument('<metrics>', 'metrics.jsonl written beside the checkpoints')
    .option('--out <dir>', "output folder (default: the metrics file's folder)")
    .option('--title <name>', 'run name in the chart titles (default: the folder name)')
    .action(async (path: string, o: { out?: string; title?: string }) => {
      const records = readMetrics(path, true);
      if (records.length === 0) throw new Error(`plot: ${path} holds no metrics records`);
      const out = o.out ?? dirname(path);
      mkdirSync(out, { recursive: true });
      const charts = metricsCharts(records, o.title ?? basename(dirname(path)));
      for (const [stem, svg] of charts) {
        const file = join(out, `${stem}.svg`);
        await writeFileAtomic(file, Buffer.from(svg));
        process.stdout.write(`${file}\n`);
      }
    });
}
