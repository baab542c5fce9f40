/**
 * Opens any checkpoint this project writes for sampling: a DeepSeek-V3 folder (pretraining, SFT,
 * GRPO: config.json `model_type: deepseek_v3`) or a dense Qwen2 / Llama student (`qwen2`,
 * `llama`), given as the folder itself or as an output_dir with a `latest` pointer; and real
 * Qwen2 / Llama checkpoints (BF16/F16 folders such as R1-Distill, or GGUF files) with compact
 * weights, and deepseek2 GGUF files (dequantized to float32). Returns the
 * rollout-contract sampler the evaluation uses and a dispose that frees the weights.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { densePolicy, denseSampleGroups } from '../distill/dense-policy.js';
import { DENSE_DEFAULT_CONTEXT } from '../inference/dense-open.js';
import { listCheckpointTensors } from '../io/safetensors-checkpoint.js';
import { loadDenseWeights } from '../models/qwen2/compact-load.js';
import { DenseModel } from '../models/qwen2/model.js';
import { disposeParams } from '../models/deepseek-v3/checkpoint.js';
import { ggufArchitecture, loadDeepseekGguf } from '../models/deepseek-v3/gguf-import.js';
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

/** Sampling options: `maxSlots` caps the sequences decoded at once (default: one per completion of a call). */
export interface OpenModelOptions {
  maxSlots?: number;
}

/** Loads the checkpoint at `path` into `engine`. */
export async function openModel(engine: Engine, path: string, o: OpenModelOptions = {}): Promise<OpenModel> {
  const count = (ps: Iterable<{ size: number }>) => {
    let n = 0;
    for (const p of ps) n += p.size;
    return n;
  };
  if (path.endsWith('.gguf') && (await ggufArchitecture(path)) === 'deepseek2') {
    const g = await loadDeepseekGguf(engine, path);
    const policy = deepseekPolicy(engine, g.config, g.params, g.config.max_position_embeddings, o);
    return {
      dir: path,
      modelType: 'deepseek_v3',
      parameters: count(g.params.values()),
      maxContext: policy.maxContext,
      sampler: policy.sampleGroups,
      dispose: () => {
        policy.dispose();
        disposeParams(g.params);
      },
    };
  }
  if (path.endsWith('.gguf') || (await isHalfPrecisionDense(path))) return openCompactDense(engine, path, o);
  const dir = await modelDir(path);
  let raw: { model_type?: unknown };
  try {
    raw = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  } catch (err) {
    throw new Error(`model ${path}: cannot read ${join(dir, 'config.json')} (${(err as Error).message})`);
  }
  if (raw.model_type === 'qwen2' || raw.model_type === 'llama') {
    const { config } = await readDenseConfig(join(dir, 'config.json'));
    const { params } = await loadDenseParams(engine, config, dir);
    const policy = densePolicy(engine, config, params, config.max_position_embeddings, o);
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
    const policy = deepseekPolicy(engine, m.config, m.params, m.config.max_position_embeddings, o);
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

/** True for a Qwen2 / Llama folder with BF16/F16 weights (a real checkpoint such as R1-Distill). */
async function isHalfPrecisionDense(path: string): Promise<boolean> {
  if (!existsSync(join(path, 'config.json'))) return false;
  try {
    const mt = (JSON.parse(readFileSync(join(path, 'config.json'), 'utf8')) as { model_type?: unknown }).model_type;
    if (mt !== 'qwen2' && mt !== 'llama') return false;
    for (const e of (await listCheckpointTensors(path)).values())
      if (e.dtype === 'BF16' || e.dtype === 'F16') return true;
  } catch {
    return false;
  }
  return false;
}

/** A real dense checkpoint (BF16/F16 folder or GGUF) with compact weights (src/models/qwen2/compact-load.ts). */
async function openCompactDense(engine: Engine, path: string, o: OpenModelOptions): Promise<OpenModel> {
  const loaded = await loadDenseWeights(engine, path, {});
  const c = loaded.config;
  const model = new DenseModel(
    engine,
    c,
    loaded.params,
    Math.min(c.max_position_embeddings, DENSE_DEFAULT_CONTEXT),
    loaded.compact,
  );
  let parameters = 0;
  for (const w of loaded.compact.values()) parameters += w.rows * w.cols;
  for (const p of loaded.params.values()) parameters += p.size;
  return {
    dir: path,
    modelType: c.model_type,
    parameters,
    maxContext: model.rope.maxLen,
    sampler: (prompts, n, s, rng) => denseSampleGroups(model, prompts, n, s, rng, o.maxSlots),
    dispose: () => {
      model.dispose();
      loaded.dispose();
    },
  };
}
