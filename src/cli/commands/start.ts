/**
 * `deepseek-ts start` (what `npm start` runs): serves the shipped tiny R1-style reasoning model
 * (models/r1-tiny) with the web chat and the OpenAI-compatible API on loopback, and prints the URL
 * and an example request. `--train` first reproduces that model from scratch with the project's own
 * commands (the recipe below: data, tokenizer, base pretraining, R1-Zero GRPO, export), each showing
 * its own progress, then serves the result.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { openChatModel } from '../../serve/load-model.js';
import { startServer } from '../../serve/server.js';
import { intOption } from '../options.js';
import { addServerOptions, type ServerFlags, serverOptions } from '../serve-flags.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The model `npm start` serves: trained by RECIPE, committed to the repository. */
export const SHIPPED_MODEL = `${ROOT}models/r1-tiny`;

/** The exact commands that produced models/r1-tiny (run from the repository root). */
export const RECIPE: readonly (readonly string[])[] = [
  ['data', 'build', 'recipes/r1-tiny-data.json'],
  [
    'pretrain',
    '--model',
    'tiny',
    '--dataset-dir',
    'runs/r1-tiny/data',
    '--output-dir',
    'runs/r1-tiny/base',
    '--max-steps',
    '6000',
    '--seed',
    '0',
  ],
  [
    'r1-zero',
    '--base',
    'runs/r1-tiny/base',
    '--dataset',
    'runs/r1-tiny/data',
    '--output-dir',
    'runs/r1-tiny/r1-zero',
    '--tasks',
    'arithmetic,countdown',
    '--config',
    'recipes/r1-tiny-grpo.json',
    '--results',
    'docs/results/r1-tiny.md',
    '--notes',
    'docs/results/r1-tiny-notes.md',
  ],
  [
    'export',
    'runs/r1-tiny/r1-zero',
    '--format',
    'hf',
    '--dtype',
    'BF16',
    '--chat-template',
    'r1-zero',
    '--out',
    'models/r1-tiny',
  ],
];

function runRecipe(main: string, threads?: number): void {
  for (const args of RECIPE) {
    const full = [
      ...args,
      ...(threads !== undefined && !['data', 'export'].includes(args[0]!) ? ['--threads', String(threads)] : []),
    ];
    process.stdout.write(`\n$ deepseek-ts ${full.join(' ')}\n`);
    const r = spawnSync(process.execPath, [main, ...full], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0)
      throw new Error(
        `start --train: step "deepseek-ts ${args.slice(0, 2).join(' ')}" failed (exit ${r.status}); fix it and rerun: finished steps resume or are redone quickly`,
      );
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('start')
    .description('serve the shipped tiny R1 model (web chat + OpenAI API); --train retrains it first')
    .option('--model <dir>', 'model folder to serve', SHIPPED_MODEL);
  addServerOptions(cmd)
    .option(
      '--train',
      'reproduce models/r1-tiny from scratch with the recipe (about 55 minutes on an idle 2-core machine), then serve it',
    )
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .action(async (o: ServerFlags & { model: string; train?: boolean; threads?: number }) => {
      if (o.train) runRecipe(fileURLToPath(new URL('../main.js', import.meta.url)), o.threads);
      if (!existsSync(`${o.model}/config.json`)) {
        throw new Error(
          `no model at ${o.model} (config.json missing); run \`npm start -- --train\` to train it, or pass --model <dir>`,
        );
      }
      const m = await openChatModel(o.model, { threads: o.threads });
      for (const w of m.warnings) process.stderr.write(`warning: ${w}\n`);
      const settings = serverOptions(o);
      const server = await startServer(m.service, { modelId: m.name, ...settings });
      const card = existsSync(`${o.model}/README.md`)
        ? readFileSync(`${o.model}/README.md`, 'utf8')
            .split('\n')
            .find((l) => l.startsWith('> '))
        : undefined;
      process.stdout.write(
        [
          `deepseek-ts: serving ${m.name}${card ? ` (${card.slice(2)})` : ''}${settings.apiKey ? ', API key required' : ''}`,
          `  web chat: ${server.url}/`,
          `  API:      ${server.url}/v1  (OpenAI-compatible; the thinking comes back in reasoning_content)`,
          '  try:',
          `    curl -s ${server.url}/v1/chat/completions -H 'Content-Type: application/json' \\`,
          `      -d '{"model":"${m.name}","messages":[{"role":"user","content":"Calculate 47 + 385."}]}'`,
          '  Ctrl-C stops the server.',
          '',
        ].join('\n'),
      );
      const stop = () => {
        void server.close().then(() => {
          m.dispose();
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
