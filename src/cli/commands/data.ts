/** `deepseek-ts data build <config>`: problems, held-out splits, corpus, SFT records, token shards. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { buildDataset } from '../../data/build.js';
import { parseDataConfig } from '../../data/config.js';

export function register(program: Command): void {
  const data = program.command('data').description('build the datasets the pipeline trains and evaluates on');
  data
    .command('build')
    .description(
      'generate task problems, fixed held-out test splits (JSONL), a pretraining corpus, SFT records and token shards from a JSON config',
    )
    .argument(
      '<config>',
      'JSON config: {out, seed, languages, tasks: {countdown: {train, test, difficulties}, ...}, mix, sft_fraction, tokenizer: {path} | {train: {vocab_size}}, shard_tokens}',
    )
    .option('--out <dir>', 'output folder (overrides the config)')
    .option('--seed <n>', 'seed (overrides the config)')
    .addHelpText(
      'after',
      '\nExample config:\n  {"out": "data/small", "seed": 1, "tasks": {"countdown": {"train": 5000, "test": 500}, "linear": {"train": 2000}},\n   "tokenizer": {"train": {"vocab_size": 4096}}}',
    )
    .action((configPath: string, opts: { out?: string; seed?: string }) => {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(configPath, 'utf8'));
      } catch (err) {
        throw new Error(`data build: cannot read config ${configPath}: ${(err as Error).message}`);
      }
      if (typeof raw !== 'object' || raw === null) throw new Error(`data build: ${configPath} must hold a JSON object`);
      const merged: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
      if (opts.out !== undefined) merged.out = opts.out;
      if (opts.seed !== undefined) {
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed))
          throw new Error(`data build: --seed must be an integer, got ${JSON.stringify(opts.seed)}`);
        merged.seed = seed;
      }
      const config = parseDataConfig(merged, configPath);
      const t0 = Date.now();
      const summary = buildDataset(config, (e) => process.stderr.write(`[${e.stage}] ${e.detail}\n`));
      process.stdout.write(`${JSON.stringify({ ...summary, seconds: (Date.now() - t0) / 1000 }, null, 2)}\n`);
    });
}
