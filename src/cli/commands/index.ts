/** The list of sub-commands of the `deepseek-ts` CLI, in the order `--help` shows them. */
import type { Command } from 'commander';
import { register as demo } from './demo.js';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  demo,
];
