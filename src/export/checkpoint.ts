/**
 * Loading a DeepSeek-V3 checkpoint folder for export or inference: `config.json` (validated by
 * models/deepseek-v3/config.ts, which also rejects an unsupported `quantization_config`) and the
 * safetensors weights (single file or shards). A checkpoint in DeepSeek's FP8 layout (E4M3
 * `weight` + float32 `weight_scale_inv` per block, `quantization_config.weight_block_size`) is
 * dequantised on load to float32, so everything downstream sees plain float weights.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readSafetensorsCheckpoint } from '../io/safetensors-checkpoint.js';
import type { StoredTensor } from '../io/safetensors.js';
import { toFloat32 } from '../io/dtypes.js';
import {
  parseDeepseekV3Config,
  type DeepseekV3Config,
  type Fp8QuantizationConfig,
} from '../models/deepseek-v3/config.js';
import { parseDenseConfig, type DenseConfig } from '../models/qwen2/config.js';
import { dequantizeFp8Blocks } from './fp8-blocks.js';

/** Suffix of the per-block scale tensor that accompanies an FP8 `weight`. */
export const SCALE_SUFFIX = '_scale_inv';

/** A loaded DeepSeek-V3 checkpoint: raw and validated config, and the weights (FP8 already dequantised). */
export interface LoadedCheckpoint {
  readonly kind: 'deepseek_v3';
  readonly dir: string;
  readonly rawConfig: Record<string, unknown>;
  readonly config: DeepseekV3Config;
  readonly warnings: readonly string[];
  readonly tensors: Map<string, StoredTensor>;
  /** Number of FP8 weights dequantised on load (0 for a float checkpoint). */
  readonly fp8Dequantized: number;
}

/** A loaded dense student checkpoint (Qwen2 / Llama, models/qwen2/). */
export interface LoadedDenseCheckpoint {
  readonly kind: 'dense';
  readonly dir: string;
  readonly rawConfig: Record<string, unknown>;
  readonly config: DenseConfig;
  readonly quantization?: Fp8QuantizationConfig;
  readonly warnings: readonly string[];
  readonly tensors: Map<string, StoredTensor>;
  readonly fp8Dequantized: number;
}

/** Any checkpoint the exporter handles, told apart by `kind`. */
export type AnyCheckpoint = LoadedCheckpoint | LoadedDenseCheckpoint;

async function readRawConfig(dir: string): Promise<{ path: string; raw: Record<string, unknown> }> {
  const path = join(dir, 'config.json');
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(
      `${path}: cannot read config.json (${(err as Error).message}); expected a checkpoint folder with config.json and model.safetensors`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new Error(`${path}: config is ${JSON.stringify(raw)}; expected a JSON object`);
  return { path, raw: raw as Record<string, unknown> };
}

/** Reads and validates `<dir>/config.json` as a DeepSeek-V3 config, returning the raw object too. */
export async function readCheckpointConfig(
  dir: string,
): Promise<{ raw: Record<string, unknown>; config: DeepseekV3Config; warnings: readonly string[] }> {
  const { path, raw } = await readRawConfig(dir);
  const { config, warnings } = parseDeepseekV3Config(raw, path);
  return { raw, config, warnings };
}

/** Validates a dense model's `quantization_config` (the DeepSeek-V3 parser does it for V3 configs). */
export function parseFp8QuantizationConfig(raw: unknown, source: string): Fp8QuantizationConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const q = (typeof raw === 'object' && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  const block = q.weight_block_size;
  const blockOk =
    Array.isArray(block) && block.length === 2 && block.every((b) => Number.isInteger(b) && (b as number) > 0);
  if (q.quant_method !== 'fp8' || (q.fmt ?? 'e4m3') !== 'e4m3' || !blockOk) {
    throw new Error(
      `${source}: "quantization_config" is ${JSON.stringify(raw)}; expected {"quant_method": "fp8", ` +
        `"fmt": "e4m3", "weight_block_size": [rows, cols]}`,
    );
  }
  return {
    quant_method: 'fp8',
    fmt: 'e4m3',
    activation_scheme: String(q.activation_scheme ?? 'dynamic'),
    weight_block_size: [block[0] as number, block[1] as number],
  };
}

/**
 * Replaces every FP8 `X.weight` and its `X.weight_scale_inv` by a float32 `X.weight`. Throws
 * when an FP8 weight has no scales (or scales of the wrong shape), or scales have no FP8 weight.
 */
export function dequantizeFp8Tensors(
  tensors: ReadonlyMap<string, StoredTensor>,
  quant: Fp8QuantizationConfig | undefined,
  source: string,
): { tensors: Map<string, StoredTensor>; count: number } {
  const out = new Map<string, StoredTensor>();
  let count = 0;
  for (const [name, t] of tensors) {
    if (name.endsWith(SCALE_SUFFIX)) {
      const w = tensors.get(name.slice(0, -SCALE_SUFFIX.length));
      if (w?.dtype !== 'F8_E4M3')
        throw new Error(
          `${source}: "${name}" holds FP8 block scales but "${name.slice(0, -SCALE_SUFFIX.length)}" is not an F8_E4M3 tensor`,
        );
      continue;
    }
    if (t.dtype !== 'F8_E4M3') {
      out.set(name, t);
      continue;
    }
    if (!quant)
      throw new Error(
        `${source}: tensor "${name}" is F8_E4M3 but config.json has no quantization_config; expected ` +
          `{"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]}`,
      );
    const scale = tensors.get(name + SCALE_SUFFIX);
    if (!scale)
      throw new Error(`${source}: FP8 tensor "${name}" has no "${name}${SCALE_SUFFIX}" (float32 block scales)`);
    if (t.shape.length !== 2)
      throw new Error(`${source}: FP8 tensor "${name}" has shape [${t.shape.join(', ')}]; expected a 2-D weight`);
    if (scale.dtype !== 'F32' && scale.dtype !== 'BF16' && scale.dtype !== 'F16') {
      throw new Error(`${source}: "${name}${SCALE_SUFFIX}" is ${scale.dtype}; expected F32 block scales`);
    }
    const [rows, cols] = t.shape as [number, number];
    const scaleValues = scale.dtype === 'F32' ? (scale.data as Float32Array) : toFloat32(scale.dtype, scale.data);
    const data = dequantizeFp8Blocks(
      t.data as Uint8Array,
      scaleValues,
      rows,
      cols,
      quant.weight_block_size,
      `${source}: "${name}"`,
    );
    out.set(name, { dtype: 'F32', shape: [rows, cols], data });
    count++;
  }
  return { tensors: out, count };
}

/** Loads config.json and all weights of a DeepSeek-V3 checkpoint folder, dequantising FP8 weights. */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const { raw, config, warnings } = await readCheckpointConfig(dir);
  const contents = await readSafetensorsCheckpoint(dir);
  const { tensors, count } = dequantizeFp8Tensors(contents.tensors, config.quantization_config, dir);
  return { kind: 'deepseek_v3', dir, rawConfig: raw, config, warnings, tensors, fp8Dequantized: count };
}

/** Loads a DeepSeek-V3 or dense (model_type qwen2 / llama) checkpoint folder, dequantising FP8 weights. */
export async function loadAnyCheckpoint(dir: string): Promise<AnyCheckpoint> {
  const { path, raw } = await readRawConfig(dir);
  if (raw.model_type !== 'qwen2' && raw.model_type !== 'llama') return loadCheckpoint(dir);
  const { quantization_config: q, ...rest } = raw;
  const quantization = parseFp8QuantizationConfig(q, path);
  const { config, warnings } = parseDenseConfig(rest, path);
  const contents = await readSafetensorsCheckpoint(dir);
  const { tensors, count } = dequantizeFp8Tensors(contents.tensors, quantization, dir);
  return {
    kind: 'dense',
    dir,
    rawConfig: raw,
    config,
    ...(quantization ? { quantization } : {}),
    warnings,
    tensors,
    fp8Dequantized: count,
  };
}
