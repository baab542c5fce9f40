/**
 * Opens any checkpoint this project writes for sampling: a DeepSeek-V3 folder (pretraining, SFT,
 * GRPO: config.json `model_type: deepseek_v3`) or a dense Qwen2 / Llama student (`qwen2`,
 * `llama`), given as the folder itself or as an output_dir with a `latest` pointer. Returns the
 * rollout-contract sampler the evaluation uses and a dispose that frees the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { densePolicy } from '../distill/dense-policy.js';
import { disposeParams } from '../models/deepseek-v3/checkpoint.js';
import { loadDenseParams, readDenseConfig } from '../models/qwen2/index.js';
import { deepseekPolicy } from '../rl/policy.js';
import { loadModelFolder } from '../rl/session.js';
import type { Engine } from '../tensor/index.js';
import { resolveCheckpoint } from '../train/checkpoint.js';
import type { GroupSampler } from './evaluate.js';

/** A model ready to sample. */
export interface OpenModel {
  dir: string;
  modelType: string;
  parameters: number;
  /** Longest sequence (prompt + completion) the model takes. */
  maxContext: number;
  sampler: GroupSampler;
  dispose(): void;
}

/** The checkpoint folder `path` names (itself when it has config.json, else its `latest`). */
export async function modelDir(path: string): Promise<string> {
  return existsSync(join(path, 'config.json')) ? path : resolveCheckpoint(path);
}

/** Loads the checkpoint at `path` into `engine`. */
export async function openModel(engine: Engine, path: string): Promise<OpenModel> {
  const dir = await modelDir(path);
  let raw: { model_type?: unknown };
  try {
    raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new Error(`model ${path}: cannot read ${join(dir, 'config.json')} (${(err as Error).message})`);
  }
  const count = (ps: Iterable<{ size: number }>) => {
    let n = 0;
    for (const p of ps) n += p.size;
    return n;
  };
  if (raw.model_type === 'qwen2' || raw.model_type === 'llama') {
    const { config } = await readDenseConfig(join(dir, 'config.json'));
    const { params } = await loadDenseParams(engine, config, dir);
    const policy = densePolicy(engine, config, params);
    return {
      dir,
      modelType: config.model_type,
      parameters: count(params.values()),
      maxContext: policy.maxContext,
      sampler: policy.sampleGroups,
      dispose: () => {
        policy.dispose();
        disposeParams(params);
      },
    };
  }
  if (raw.model_type === 'deepseek_v3') {
    const m = await loadModelFolder(engine, dir);
    const policy = deepseekPolicy(engine, m.config, m.params);
    return {
      dir,
      modelType: 'deepseek_v3',
      parameters: count(m.params.values()),
      maxContext: policy.maxContext,
      sampler: policy.sampleGroups,
      dispose: () => {
        policy.dispose();
        disposeParams(m.params);
      },
    };
  }
  throw new Error(
    `model ${path}: config.json model_type is ${JSON.stringify(raw.model_type)}; expected deepseek_v3, qwen2 or llama`,
  );
}
