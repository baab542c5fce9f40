/**
 * Creating, loading and saving Qwen2 / Llama parameter maps (HF keys -> Tensor). Initialisation
 * follows HF's `_init_weights`: normal(0, initializer_range) for matrices and embeddings, zero
 * biases, unit norms, drawn in key order from an explicit Rng.
 */
import { join } from 'node:path';
import { readSafetensorsCheckpoint, writeSafetensorsCheckpoint } from '../../io/safetensors-checkpoint.js';
import { tensorToFloat32, type StoredTensor } from '../../io/safetensors.js';
import type { Engine, Rng, Tensor } from '../../tensor/index.js';
import { writeDenseConfig, type DenseConfig } from './config.js';
import { denseTensors } from './params.js';

export function initDenseParams(engine: Engine, c: DenseConfig, rng: Rng): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const s of denseTensors(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1),
      data = new Float32Array(n);
    if (s.role === 'norm') data.fill(1);
    else if (s.role !== 'bias') for (let i = 0; i < n; i++) data[i] = c.initializer_range * rng.normal();
    out.set(s.name, engine.parameter(data, s.shape));
  }
  return out;
}

const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** Loads a checkpoint folder or file; missing tensors and wrong shapes are errors naming the key. */
export async function loadDenseParams(
  engine: Engine,
  c: DenseConfig,
  path: string,
): Promise<{ params: Map<string, Tensor>; warnings: string[] }> {
  const contents = await readSafetensorsCheckpoint(path);
  const specs = denseTensors(c),
    problems: string[] = [];
  for (const s of specs) {
    const t = contents.tensors.get(s.name);
    if (!t) problems.push(`missing tensor "${s.name}" (expected shape ${fmt(s.shape)})`);
    else if (fmt(t.shape) !== fmt(s.shape))
      problems.push(`tensor "${s.name}" has shape ${fmt(t.shape)}; expected ${fmt(s.shape)}`);
  }
  if (problems.length)
    throw new Error(
      `${path}: checkpoint does not match the config: ${problems.slice(0, 5).join('; ')}` +
        (problems.length > 5 ? `; and ${problems.length - 5} more` : ''),
    );
  const params = new Map<string, Tensor>();
  for (const s of specs) params.set(s.name, engine.parameter(tensorToFloat32(contents.tensors.get(s.name)!), s.shape));
  const known = new Set(specs.map((s) => s.name));
  const unused = [...contents.tensors.keys()].filter((k) => !known.has(k));
  return {
    params,
    warnings: unused.length
      ? [`${path}: ignoring ${unused.length} tensor(s) the model does not use: ${unused.slice(0, 5).join(', ')}`]
      : [],
  };
}

/** Writes config.json and model.safetensors into `dir` (atomically per file). */
export async function saveDenseCheckpoint(
  dir: string,
  c: DenseConfig,
  params: ReadonlyMap<string, Tensor>,
): Promise<void> {
  const stored = new Map<string, StoredTensor>();
  for (const s of denseTensors(c)) {
    const t = params.get(s.name);
    if (!t) throw new Error(`saveDenseCheckpoint: parameter "${s.name}" is missing`);
    stored.set(s.name, { dtype: 'F32', shape: [...t.shape], data: t.toArray() as Float32Array });
  }
  await writeSafetensorsCheckpoint(dir, stored);
  await writeDenseConfig(join(dir, 'config.json'), c);
}
