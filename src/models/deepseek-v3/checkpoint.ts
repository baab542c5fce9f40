/**
 * Creating, loading and saving the DeepSeek-V3 parameter map (HF safetensors keys -> Tensor).
 * The key and shape list comes from params.ts (`checkpointTensors`); entries marked `sharedWith`
 * (the MTP modules' copies of embed_tokens / lm_head, lm_head under tie_word_embeddings) are not
 * separate parameters: a loader accepts and checks them, then drops them.
 *
 * Initialisation follows HF's `_init_weights` for DeepseekV3: normal(0, initializer_range) for
 * every matrix, 1 for RMSNorm weights, 0 for biases and e_score_correction_bias, drawn from an
 * explicit Rng in checkpoint order (so a seed fixes every weight). e_score_correction_bias never
 * takes a gradient (it is moved by the aux-loss-free update, balance.ts).
 */
import type { Engine, Rng, Tensor } from '../../tensor/index.js';
import { readSafetensorsCheckpoint, writeSafetensorsCheckpoint } from '../../io/safetensors-checkpoint.js';
import { dequantizeFp8Blocks } from '../../io/fp8-blocks.js';
import { tensorToFloat32, type SafetensorsContents, type StoredTensor } from '../../io/safetensors.js';
import { join } from 'node:path';
import { writeDeepseekV3Config, type DeepseekV3Config } from './config.js';
import { checkCheckpointTensors, checkpointTensors, type TensorSpec } from './params.js';

/** True for tensors that are trainable by gradient (everything but the balancing bias). */
export function isTrainable(key: string): boolean {
  return !key.endsWith('.e_score_correction_bias');
}

function initValue(s: TensorSpec): 'normal' | 0 | 1 {
  if (s.role === 'norm') return 1;
  if (s.name.endsWith('.bias') || s.name.endsWith('.e_score_correction_bias')) return 0;
  return 'normal';
}

/** The unique parameters of `config` in checkpoint order (shared copies left out). */
export function parameterSpecs(config: DeepseekV3Config): TensorSpec[] {
  return checkpointTensors(config).filter((s) => s.sharedWith === undefined);
}

function makeParam(engine: Engine, key: string, data: Float32Array, shape: readonly number[]): Tensor {
  const t = engine.parameter(data, shape);
  t.requiresGrad = isTrainable(key);
  return t;
}

/** Fresh weights: normal(0, initializer_range) matrices, unit norms, zero biases. */
export function initParams(engine: Engine, config: DeepseekV3Config, rng: Rng): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const std = config.initializer_range;
  for (const s of parameterSpecs(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1),
      data = new Float32Array(n),
      how = initValue(s);
    if (how === 'normal') for (let i = 0; i < n; i++) data[i] = std * rng.normal();
    else data.fill(how);
    out.set(s.name, makeParam(engine, s.name, data, s.shape));
  }
  return out;
}

/**
 * Builds the parameter map from checkpoint contents after params.ts's checkCheckpointTensors:
 * errors name the key, the expected shape and what the file holds. Returns warnings for tensors
 * the model does not use (for the caller to show). FP8 weights are dequantised (weightValues).
 */
export function paramsFromContents(
  engine: Engine,
  config: DeepseekV3Config,
  contents: SafetensorsContents,
  source: string,
): { params: Map<string, Tensor>; warnings: string[] } {
  const warnings = checkCheckpointTensors(config, contents.tensors, source);
  const params = new Map<string, Tensor>();
  for (const s of parameterSpecs(config))
    params.set(s.name, makeParam(engine, s.name, weightValues(config, contents, s, source), s.shape));
  return { params, warnings };
}

/**
 * A stored weight as float32. FP8 weights of DeepSeek's release layout (E4M3 `weight` with a
 * float32 `weight_scale_inv` per weight_block_size block) are dequantised as e4m3 * scale, as
 * DeepSeek's `weight_dequant` does; an E4M3 weight without its scales is an error.
 */
function weightValues(
  config: DeepseekV3Config,
  contents: SafetensorsContents,
  s: TensorSpec,
  source: string,
): Float32Array {
  const t = contents.tensors.get(s.name)!;
  if (t.dtype !== 'F8_E4M3') return tensorToFloat32(t);
  const scale = contents.tensors.get(`${s.name}_scale_inv`),
    block = config.quantization_config?.weight_block_size;
  if (!scale || !block || s.shape.length !== 2) {
    throw new Error(
      `${source}: tensor "${s.name}" is F8_E4M3 but ` +
        (!scale ? `"${s.name}_scale_inv" is missing` : 'config.json has no quantization_config.weight_block_size') +
        "; expected DeepSeek's FP8 layout (per-block float32 scales)",
    );
  }
  return dequantizeFp8Blocks({
    weight: t.data as Uint8Array,
    scaleInv: tensorToFloat32(scale),
    shape: s.shape as [number, number],
    block,
  });
}

/** Loads a checkpoint (a folder, model.safetensors or a shard index) into a parameter map. */
export async function loadParams(
  engine: Engine,
  config: DeepseekV3Config,
  path: string,
): Promise<{ params: Map<string, Tensor>; warnings: string[] }> {
  return paramsFromContents(engine, config, await readSafetensorsCheckpoint(path), path);
}

/** The parameters as float32 stored tensors, by key, in checkpoint order. */
export function paramsToStored(
  config: DeepseekV3Config,
  params: ReadonlyMap<string, Tensor>,
): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const s of parameterSpecs(config)) {
    const t = params.get(s.name);
    if (t === undefined) throw new Error(`paramsToStored: parameter "${s.name}" is missing`);
    out.set(s.name, { dtype: 'F32', shape: [...t.shape], data: t.toArray() as Float32Array });
  }
  return out;
}

/** Writes config.json and model.safetensors (sharded past 5 GB) into folder `dir`, atomically per file. */
export async function saveCheckpoint(
  dir: string,
  config: DeepseekV3Config,
  params: ReadonlyMap<string, Tensor>,
): Promise<void> {
  await writeSafetensorsCheckpoint(dir, paramsToStored(config, params));
  await writeDeepseekV3Config(join(dir, 'config.json'), config);
}

/** Frees every parameter (and its gradient). */
export function disposeParams(params: ReadonlyMap<string, Tensor>): void {
  for (const t of params.values()) {
    t.grad?.dispose();
    t.dispose();
  }
}
