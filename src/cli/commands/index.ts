/** The list of sub-commands of the `deepseek-ts` CLI, in the order `--help` shows them. */
import type { Command } from 'commander';
import { register as start } from './start.js';
import { register as demo } from './demo.js';
import { register as data } from './data.js';
import { register as tokenizer } from './tokenizer.js';
import { register as tokenize } from './tokenize.js';
import { register as info } from './info.js';
import { register as initModel } from './init-model.js';
import { register as exportCmd } from './export.js';
import { register as checkReference } from './check-reference.js';
import { register as pretrain } from './pretrain.js';
import { register as serve } from './serve.js';
import { register as chat } from './chat.js';
import { register as sft } from './sft.js';
import { register as plot } from './plot.js';
import { register as experiment } from './experiment.js';
import { register as bench } from './bench.js';
import { register as grpo } from './grpo.js';
import { register as evalCmd } from './eval.js';
import { register as r1Zero } from './r1-zero.js';
import { register as r1ZeroResults } from './r1-zero-results.js';
import { register as pipeline } from './pipeline.js';
import { register as distill } from './distill.js';
import { register as report } from './report.js';

export const COMMANDS: ReadonlyArray<(program: Command) => void> = [
  start,
  demo,
  data,
  tokenizer,
  tokenize,
  info,
  initModel,
  checkReference,
  exportCmd,
  pretrain,
  serve,
  chat,
  sft,
  plot,
  experiment,
  bench,
  grpo,
  evalCmd,
  r1Zero,
  r1ZeroResults,
  pipeline,
  distill,
  report,
];
