/**
 * The stages that make a recipe self-contained from raw data to a served model: `data` runs
 * `data build` (src/data/build.ts) of a config file into the stage folder, which is then the data
 * set later stages read (`dataset_dir: "@data"`); `export` writes a checkpoint as a Hugging Face
 * bundle (src/export/hf-bundle.ts), as `deepseek-ts export --format hf` does (the folder `npm start`
 * serves). Both are quick and deterministic, so an interrupted one is simply run again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readConfigFile } from '../config/layers.js';
import { buildDataset } from '../data/build.js';
import { parseDataConfig } from '../data/config.js';
import { loadAnyCheckpoint } from '../export/checkpoint.js';
import { writeHfBundle } from '../export/hf-bundle.js';
import { R1_CHAT_TEMPLATE, R1_ZERO_CHAT_TEMPLATE } from '../tokenizer/chat.js';
import { resolveCheckpoint } from '../train/checkpoint.js';
import type { StageConfig } from './config.js';
import type { StageContext, StageOutputs } from './runner.js';

/** Stage data: the data set is the stage folder (the config's `out` is replaced by it). */
export async function runDataStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'data' }>;
  const config = parseDataConfig({ ...readConfigFile(s.config, `stage ${s.name}`), out: ctx.dir }, s.config);
  const summary = buildDataset(config, (e) => ctx.log(`[${e.stage}] ${e.detail}`));
  return { dataset_dir: ctx.dir, summary };
}

/** Stage export: a Hugging Face bundle of a checkpoint (or of a training output_dir's `latest`). */
export async function runExportStage(ctx: StageContext): Promise<StageOutputs> {
  const s = ctx.stage as Extract<StageConfig, { kind: 'export' }>;
  const ref = ctx.model(s.model);
  const dir =
    !existsSync(join(ref, 'config.json')) && existsSync(join(ref, 'latest')) ? await resolveCheckpoint(ref) : ref;
  const ck = await loadAnyCheckpoint(dir);
  for (const w of ck.warnings) ctx.log(`warning: ${w}`);
  const chatTemplate = { keep: undefined, r1: R1_CHAT_TEMPLATE, 'r1-zero': R1_ZERO_CHAT_TEMPLATE }[s.chat_template];
  const r = await writeHfBundle(ck, s.out, { fp8: false, dtype: s.dtype, ...(chatTemplate ? { chatTemplate } : {}) });
  for (const w of r.warnings) ctx.log(`warning: ${w}`);
  ctx.log(`wrote ${s.out}: ${r.files.join(', ')}`);
  return { checkpoint: s.out, from: dir };
}
