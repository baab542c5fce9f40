/**
 * `deepseek-ts start` (what `npm start` runs): serves the shipped tiny R1-style reasoning model
 * (models/r1-tiny) with the web chat and the OpenAI-compatible API on loopback, and prints the URL
 * and an example request. The model is the R1-Zero experiment's primed seed 0 (issue 14; stage
 * export-shipped of recipes/r1-zero-final.yaml). `--train` first reproduces it from scratch: the
 * recipe recipes/r1-tiny.yaml (the reasoning corpus and its tokenizer, the base pretraining, R1-Zero
 * GRPO, export) on the pipeline runner, which skips finished stages on a rerun; then serves the result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parsePipelineConfig } from '../../pipeline/config.js';
import { PACKAGE_ROOT, readRecipe, recipePath } from '../../pipeline/recipe.js';
import { runPipeline } from '../../pipeline/runner.js';
import { STAGE_RUNNERS } from '../../pipeline/stages.js';
import { openChatModel } from '../../serve/load-model.js';
import { startServer } from '../../serve/server.js';
import { intOption } from '../options.js';
import { renderPipelineEvent } from './pipeline.js';
import { addServerOptions, type ServerFlags, serverOptions } from '../serve-flags.js';

/** The model `npm start` serves, committed to the repository (recipes/r1-tiny.yaml makes it from scratch). */
export const SHIPPED_MODEL = `${PACKAGE_ROOT}models/r1-tiny`;

/** Runs recipes/r1-tiny.yaml from the repository root (its paths are relative to it). */
async function train(threads?: number): Promise<void> {
  const path = recipePath('r1-tiny');
  process.chdir(PACKAGE_ROOT);
  const r = readRecipe(path);
  if (threads !== undefined) r.threads = threads;
  process.stdout.write(`deepseek-ts pipeline run recipes/r1-tiny.yaml${threads ? ` (threads ${threads})` : ''}\n`);
  await runPipeline(parsePipelineConfig(r, `recipe ${path}`), STAGE_RUNNERS, { onEvent: renderPipelineEvent });
}

export function register(program: Command): void {
  const cmd = program
    .command('start')
    .description('serve the shipped tiny R1 model (web chat + OpenAI API); --train retrains it first')
    .option('--model <dir>', 'model folder to serve', SHIPPED_MODEL);
  addServerOptions(cmd)
    .option(
      '--train',
      'reproduce models/r1-tiny from scratch with recipes/r1-tiny.yaml (base and RL run: each under an hour on ' +
        '2 idle cores, docs/results/r1-zero/runs.json), then serve it',
    )
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .action(async (o: ServerFlags & { model: string; train?: boolean; threads?: number }) => {
      o.model = resolve(o.model);
      if (o.train) await train(o.threads);
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
