/** `deepseek-ts data build <config>`: problems, held-out splits, corpus, SFT records, token shards. */
import type { Command } from 'commander';
import { mergeLayers, readConfigFile } from '../../config/layers.js';
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
      'JSON or YAML config: {out, seed, languages, tasks: {countdown: {train, test, difficulties}, ' +
        '...}, mix, sft_fraction, tokenizer: {path} | {train: {vocab_size}}, shard_tokens}',
    )
    .option('--out <dir>', 'output folder (overrides the config)')
    .option('--seed <n>', 'seed (overrides the config)')
    .addHelpText(
      'after',
      '\nExample config:\n  {"out": "data/small", "seed": 1, "tasks": {"countdown": {"train": 5000, ' +
        '"test": 500}, "linear": {"train": 2000}},\n   "tokenizer": {"train": {"vocab_size": 4096}}}',
    )
    .action((configPath: string, opts: { out?: string; seed?: string }) => {
      const seed = opts.seed === undefined ? undefined : Number(opts.seed);
      if (seed !== undefined && !Number.isInteger(seed))
        throw new Error(`data build: --seed must be an integer, got ${JSON.stringify(opts.seed)}`);
      const file = readConfigFile(configPath, 'data build');
      const config = parseDataConfig(mergeLayers([file, { out: opts.out, seed }]), configPath);
      const t0 = Date.now();
      const summary = buildDataset(config, (e) => process.stderr.write(`[${e.stage}] ${e.detail}\n`));
      process.stdout.write(`${JSON.stringify({ ...summary, seconds: (Date.now() - t0) / 1000 }, null, 2)}\n`);
    });
}
