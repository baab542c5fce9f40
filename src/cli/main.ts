#!/usr/bin/env node
/**
 * The `deepseek-ts` command. Each sub-command lives in src/cli/commands/<name>.ts and exports
 * `register(program)`; this file only lists them, so adding a command is a one-line change here.
 */
import { Command } from 'commander';
import { COMMANDS } from './commands/index.js';

const program = new Command();
program
  .name('deepseek-ts')
  .description('DeepSeek-V3 / DeepSeek-R1 in TypeScript: build, train, study and serve reasoning models')
  .version('0.1.0')
  .showHelpAfterError();
for (const register of COMMANDS) register(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  const msg = err instanceof Error ? err.message : String(err);
  process.stderr.write(`deepseek-ts: ${msg}\n`);
  process.exit(1);
});
