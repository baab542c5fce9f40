/**
 * Training checkpoints as directories, written atomically as a whole:
 *   <output_dir>/checkpoint-000120/  config.json + model.safetensors (HF: loads elsewhere),
 *                                    tokenizer.json / tokenizer_config.json (when known),
 *                                    optimizer.safetensors (AdamW exp_avg / exp_avg_sq by key),
 *                                    trainer_state.json (step, optimizer step, data position,
 *                                    RNG state, counters, SHA-256 of every file), run_config.json
 *   <output_dir>/latest              the name of the newest complete checkpoint
 * Every file goes into a hidden temporary folder and is fsynced; the folder is renamed into place
 * and only then `latest` is replaced (temp file + rename). A process killed at any moment leaves
 * either the previous `latest` and its folder, or the new ones; stale temporary folders are
 * ignored by the loader and removed by the next save. Loading verifies every checksum, so a
 * truncated or altered file is a clear error naming the file, never a silent bad resume.
 * The weights are a DeepSeek-V3 model's or a dense Qwen2 / Llama student's (src/models/qwen2, for
 * the distillation stage's GRPO student); `loadTrainState` reads the rest of either kind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { readSafetensors, tensorToFloat32, writeSafetensors, type StoredTensor } from '../io/safetensors.js';
import { readDeepseekV3Config, type DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { loadParams, saveCheckpoint } from '../models/deepseek-v3/checkpoint.js';
import { saveDenseCheckpoint } from '../models/qwen2/checkpoint.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import type { AdamW } from '../nn/adamw.js';
import type { Engine, Tensor } from '../tensor/index.js';

export const LATEST = 'latest';
const TRAINER_STATE = 'trainer_state.json';

/** Everything besides tensors that a resume needs. */
export interface TrainerState {
  /** Optimizer steps completed (the next step to run has this 0-based index). */
  step: number;
  /** AdamW's own step counter (skipped steps do not advance it). */
  optimizer_step: number;
  data_state: unknown;
  rng_state: number[];
  tokens_seen: number;
  consecutive_nonfinite: number;
  skipped_steps: number;
  /**
   * Wall seconds of training up to this state, summed over the processes that made it, so a run
   * resumed after an interruption reports its whole time (metrics' `elapsed_sec`); the steps
   * redone after the last checkpoint are counted once. Absent in checkpoints written before it.
   */
  elapsed_sec?: number;
}

/** The state of a run that has not taken a step, its randomness from `rngState`. */
export function freshTrainerState(rngState: number[]): TrainerState {
  return {
    step: 0,
    optimizer_step: 0,
    data_state: undefined,
    rng_state: rngState,
    tokens_seen: 0,
    consecutive_nonfinite: 0,
    skipped_steps: 0,
  };
}

export interface SaveInput {
  /** The model's config: DeepSeek-V3, or a dense student's (model_type qwen2 / llama). */
  config: DeepseekV3Config | DenseConfig;
  params: ReadonlyMap<string, Tensor>;
  optimizer: AdamW;
  state: TrainerState;
  runConfig: unknown;
  /** Folder holding tokenizer.json (+ tokenizer_config.json) to copy beside the weights. */
  tokenizerDir?: string;
}

/** Test seam: runs after every file is written into the temporary folder, before the rename. */
export interface SaveHooks {
  beforeCommit?: (tmpDir: string) => void | Promise<void>;
}

export const checkpointName = (step: number): string => `checkpoint-${String(step).padStart(6, '0')}`;

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const h = await open(dir, 'r');
    try {
      await h.sync();
    } finally {
      await h.close();
    }
  } catch {
    /* not supported everywhere */
  }
}

function optimizerTensors(opt: AdamW): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  const { m, v } = opt.state();
  for (const [k, t] of m)
    out.set(`exp_avg.${k}`, { dtype: 'F32', shape: [...t.shape], data: t.toArray() as Float32Array });
  for (const [k, t] of v)
    out.set(`exp_avg_sq.${k}`, { dtype: 'F32', shape: [...t.shape], data: t.toArray() as Float32Array });
  return out;
}

const isDense = (c: DeepseekV3Config | DenseConfig): c is DenseConfig =>
  c.model_type === 'qwen2' || c.model_type === 'llama';

/** Writes checkpoint-<step> under `outDir` atomically and points `latest` at it; returns its path. */
export async function saveTrainCheckpoint(outDir: string, input: SaveInput, hooks: SaveHooks = {}): Promise<string> {
  await mkdir(outDir, { recursive: true });
  const name = checkpointName(input.state.step);
  const tmp = join(outDir, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const config = input.config;
    if (isDense(config)) await saveDenseCheckpoint(tmp, config, input.params);
    else await saveCheckpoint(tmp, config, input.params);
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), optimizerTensors(input.optimizer), {
      optimizer: 'AdamW',
    });
    if (input.tokenizerDir) {
      for (const f of ['tokenizer.json', 'tokenizer_config.json']) {
        const src = join(input.tokenizerDir, f);
        if (
          await stat(src).then(
            () => true,
            () => false,
          )
        )
          await copyFile(src, join(tmp, f));
      }
    }
    await writeFileAtomic(join(tmp, 'run_config.json'), Buffer.from(`${JSON.stringify(input.runConfig, null, 2)}\n`));
    const files: Record<string, string> = {};
    for (const f of (await readdir(tmp)).sort()) if (!f.startsWith('.')) files[f] = await sha256File(join(tmp, f));
    await writeFileAtomic(
      join(tmp, TRAINER_STATE),
      Buffer.from(`${JSON.stringify({ ...input.state, files }, null, 2)}\n`),
    );
    await fsyncDir(tmp);
    await hooks.beforeCommit?.(tmp);
    const final = join(outDir, name);
    if (
      await stat(final).then(
        () => true,
        () => false,
      )
    ) {
      const old = join(outDir, `.old-${name}-${randomBytes(4).toString('hex')}`);
      await rename(final, old); // the same step saved again (e.g. after a resume): replace it
      await rename(tmp, final);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, final);
    }
    await fsyncDir(outDir);
    await writeFileAtomic(join(outDir, LATEST), Buffer.from(`${name}\n`));
    return final;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Removes all but the newest `keep` checkpoints (0: keep all). Each is first renamed to a `.trash-`
 * name, so a crash mid-delete leaves a leftover that cleanCheckpointLeftovers removes, never a
 * half-deleted `checkpoint-N`.
 */
export async function pruneCheckpoints(outDir: string, keep: number): Promise<void> {
  if (keep <= 0) return;
  const entries = await readdir(outDir).catch(() => [] as string[]);
  const latest = (await readFile(join(outDir, LATEST), 'utf8').catch(() => '')).trim();
  const cks = entries.filter((e) => /^checkpoint-\d+$/.test(e)).sort();
  for (const c of cks.slice(0, Math.max(0, cks.length - keep))) {
    if (c === latest) continue;
    const trash = join(outDir, `.trash-${c}-${randomBytes(4).toString('hex')}`);
    await rename(join(outDir, c), trash);
    await rm(trash, { recursive: true, force: true });
  }
}

/**
 * Startup cleanup of an output folder after a crash: removes `.tmp-` (unfinished saves) and
 * `.trash-` (unfinished prunes) folders, and `.old-` copies of a step saved again, unless the new
 * copy never landed: then the old one is put back. Returns one line per action, for the log.
 */
export async function cleanCheckpointLeftovers(outDir: string): Promise<string[]> {
  const entries = await readdir(outDir).catch(() => [] as string[]);
  const said: string[] = [];
  for (const e of entries.sort()) {
    const old = /^\.old-(checkpoint-\d+)-[0-9a-f]+$/.exec(e);
    if (old && !entries.includes(old[1]!)) {
      await rename(join(outDir, e), join(outDir, old[1]!));
      entries.push(old[1]!);
      said.push(`${outDir}: restored ${old[1]} from ${e} (its replacement was interrupted)`);
    } else if (old || /^\.(tmp|trash)-checkpoint-/.test(e)) {
      await rm(join(outDir, e), { recursive: true, force: true });
      said.push(`${outDir}: removed ${e}, left by an interrupted ${e.startsWith('.trash-') ? 'prune' : 'save'}`);
    }
  }
  return said;
}

/** The checkpoint folder `path` names: itself when it holds trainer_state.json, else the one `latest` points to. */
export async function resolveCheckpoint(path: string): Promise<string> {
  if (
    await stat(join(path, TRAINER_STATE)).then(
      () => true,
      () => false,
    )
  )
    return path;
  const pointer = join(path, LATEST);
  const name = (
    await readFile(pointer, 'utf8').catch(() => {
      throw new Error(
        `--resume ${path}: no ${TRAINER_STATE} and no ${LATEST} pointer there; expected a checkpoint folder or an output_dir with checkpoints`,
      );
    })
  ).trim();
  if (!/^checkpoint-\d+$/.test(name))
    throw new Error(
      `${pointer} is corrupt: it holds ${JSON.stringify(name.slice(0, 60))}; expected a checkpoint folder name`,
    );
  return join(path, name);
}

export interface LoadedCheckpoint {
  dir: string;
  config: DeepseekV3Config;
  params: Map<string, Tensor>;
  state: TrainerState;
  runConfig: unknown;
  optimizer: Map<string, Float32Array>;
}

/** A checkpoint's state without its weights (any model kind): see `loadTrainState`. */
export interface LoadedTrainState {
  dir: string;
  state: TrainerState;
  runConfig: unknown;
  optimizer: Map<string, Float32Array>;
}

/** Verifies every checksum of a training checkpoint (folder or output_dir) and reads all but the weights. */
export async function loadTrainState(path: string): Promise<LoadedTrainState> {
  const dir = await resolveCheckpoint(path);
  const bad = (file: string, why: string) =>
    new Error(
      `checkpoint ${dir} is corrupt: ${file} ${why}; resume from an earlier checkpoint folder or delete this one`,
    );
  let raw: TrainerState & { files?: Record<string, string> };
  try {
    raw = JSON.parse(await readFile(join(dir, TRAINER_STATE), 'utf8'));
  } catch (err) {
    throw bad(TRAINER_STATE, `cannot be read as JSON (${(err as Error).message})`);
  }
  if (
    typeof raw.step !== 'number' ||
    typeof raw.files !== 'object' ||
    raw.files === null ||
    !Array.isArray(raw.rng_state)
  )
    throw bad(TRAINER_STATE, 'lacks step, files or rng_state');
  if (raw.elapsed_sec !== undefined && !(typeof raw.elapsed_sec === 'number' && raw.elapsed_sec >= 0))
    throw bad(TRAINER_STATE, `has elapsed_sec ${JSON.stringify(raw.elapsed_sec)}, not a number of seconds >= 0`);
  for (const [f, sum] of Object.entries(raw.files)) {
    const actual = await sha256File(join(dir, f)).catch(() => null);
    if (actual === null) throw bad(f, 'is missing');
    if (actual !== sum) throw bad(f, 'does not match its SHA-256 in trainer_state.json (truncated or modified)');
  }
  const opt = await readSafetensors(join(dir, 'optimizer.safetensors'));
  const optimizer = new Map<string, Float32Array>();
  for (const [k, t] of opt.tensors) optimizer.set(k, tensorToFloat32(t));
  const runConfig = JSON.parse(await readFile(join(dir, 'run_config.json'), 'utf8'));
  const { files: _files, ...state } = raw;
  return { dir, state, runConfig, optimizer };
}

export interface LoadedCheckpoint extends LoadedTrainState {
  config: DeepseekV3Config;
  params: Map<string, Tensor>;
}

/** Loads and verifies a DeepSeek-V3 training checkpoint (folder or output_dir). Errors name the bad file. */
export async function loadTrainCheckpoint(engine: Engine, path: string): Promise<LoadedCheckpoint> {
  const rest = await loadTrainState(path);
  const { config } = await readDeepseekV3Config(join(rest.dir, 'config.json'));
  const { params } = await loadParams(engine, config, rest.dir);
  return { ...rest, config, params };
}

/** Copies saved moments into a freshly built AdamW (same parameter names and shapes). */
export function restoreOptimizer(opt: AdamW, saved: ReadonlyMap<string, Float32Array>, optimizerStep: number): void {
  const { m, v } = opt.state();
  for (const [prefix, moments] of [
    ['exp_avg', m],
    ['exp_avg_sq', v],
  ] as const) {
    for (const [k, t] of moments) {
      const data = saved.get(`${prefix}.${k}`);
      if (!data || data.length !== t.size)
        throw new Error(
          `optimizer state: ${prefix}.${k} is missing or has ${data?.length ?? 0} values; expected ${t.size}`,
        );
      t.engine.backend.f32().set(data, t.ptr >>> 2);
    }
  }
  opt.step_ = optimizerStep;
}
