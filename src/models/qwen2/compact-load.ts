/**
 * Loading real Qwen2 / Llama checkpoints for inference with compact weights: a Hugging Face folder
 * (config.json + model.safetensors or shards with model.safetensors.index.json, in BF16/F16/F32)
 * or a llama.cpp GGUF file (`qwen2` or `llama`, any of F32/F16/BF16/Q8_0/Q4_0/Q4_K/Q6_K).
 *
 * Streaming: tensors are read one at a time straight into their final place in WASM memory, so
 * peak memory while loading is the final size plus at most one 8 MB staging chunk (only when the
 * weights are converted, e.g. `quantize: 'Q8_0'` of a BF16 checkpoint). Matrices stay compact
 * (CompactWeight); norms and biases become float32 tensors. Before anything is allocated the
 * planned size goes through the memory estimator, which refuses a model that cannot fit.
 *
 * llama.cpp's `llama` architecture stores q/k projection rows permuted for its interleaved RoPE
 * (convert_hf_to_gguf.py's LlamaModel.permute); they are put back in Hugging Face's rotate-half
 * order here. `qwen2` files use rotate-half already and are read as they are.
 */
import { join } from 'node:path';
import { GGML_TYPES, type GgmlType, ggmlRowBytes, isBlockType, storableType } from '../../io/gguf-format.js';
import { GgufFile } from '../../io/gguf-reader.js';
import { dequantize, quantizer } from '../../io/quant-blocks.js';
import { CheckpointStream } from '../../io/safetensors-stream.js';
import { CompactWeight } from '../../nn/compact-linear.js';
import type { Engine, Tensor } from '../../tensor/index.js';
import { assertModelFits, type MemoryPlan } from '../../inference/memory-estimate.js';
import { type DenseConfig, readDenseConfig } from './config.js';
import { denseConfigFromGguf } from './gguf-config.js';
import { qwen2TensorName } from './gguf-names.js';
import { type DenseTensorSpec, denseTensors } from './params.js';

/** Quantizations applied at load to float (F32/F16/BF16) matrices. */
export const LOAD_QUANTIZATIONS = ['Q8_0', 'Q4_0'] as const;
export type LoadQuantization = (typeof LOAD_QUANTIZATIONS)[number];

/** Parses a --quantize value (q8_0, Q4_0, ...); the error names the flag and the choices. */
export function loadQuantization(value: string, flag = '--quantize'): LoadQuantization {
  const q = value.toUpperCase();
  if (!(LOAD_QUANTIZATIONS as readonly string[]).includes(q))
    throw new Error(`${flag} is '${value}'; expected one of ${LOAD_QUANTIZATIONS.join(', ').toLowerCase()}`);
  return q as LoadQuantization;
}

export interface CompactLoadOptions {
  /** Quantize float matrices at load (block formats of the file are kept as they are). */
  quantize?: LoadQuantization;
  /** Memory the caller will add on top of the weights (KV cache, RoPE tables), for the fit check. */
  runtimeBytes?: number | ((config: DenseConfig) => number);
}

/** A dense model's weights, loaded. */
export interface CompactDense {
  config: DenseConfig;
  /** Norms and biases (float32). */
  params: Map<string, Tensor>;
  /** Matrices, compact, by HF key. */
  compact: Map<string, CompactWeight>;
  /** Bytes of all weights in memory. */
  weightBytes: number;
  warnings: string[];
  dispose(): void;
}

/** A tensor to read: its stored type, row-major shape and a reader of whole rows. */
interface Source {
  readonly type: GgmlType;
  readonly shape: readonly number[];
  readRows(r0: number, r1: number, target: Uint8Array): Promise<void>;
}

const STAGING_BYTES = 8 << 20;
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/** The config fields that decide a tensor's shape, for messages. */
function shapeFields(name: string): string {
  if (/embed_tokens|lm_head/.test(name)) return 'vocab_size, hidden_size';
  if (/q_proj/.test(name)) return 'num_attention_heads x head_dim, hidden_size';
  if (/[kv]_proj/.test(name)) return 'num_key_value_heads x head_dim, hidden_size';
  if (/o_proj/.test(name)) return 'hidden_size, num_attention_heads x head_dim';
  if (/gate_proj|up_proj/.test(name)) return 'intermediate_size, hidden_size';
  if (/down_proj/.test(name)) return 'hidden_size, intermediate_size';
  return 'hidden_size';
}

/** The type a matrix is kept as. */
function targetType(src: GgmlType, cols: number, quantize: LoadQuantization | undefined): GgmlType {
  if (quantize === undefined || isBlockType(src)) return src;
  return storableType(quantize, cols);
}

function plan(
  c: DenseConfig,
  specs: readonly DenseTensorSpec[],
  sources: ReadonlyMap<string, Source>,
  o: CompactLoadOptions,
): MemoryPlan {
  let weightBytes = 0;
  for (const s of specs) {
    const src = sources.get(s.name)!;
    if (s.shape.length === 2)
      weightBytes += s.shape[0]! * ggmlRowBytes(targetType(src.type, s.shape[1]!, o.quantize), s.shape[1]!);
    else weightBytes += 4 * s.shape[0]!;
  }
  const rt = o.runtimeBytes;
  return { weightBytes, runtimeBytes: typeof rt === 'function' ? rt(c) : (rt ?? 0) };
}

/** Reads every spec'd tensor from `sources` into engine memory (after the fit check). */
async function materialize(
  engine: Engine,
  config: DenseConfig,
  sources: ReadonlyMap<string, Source>,
  source: string,
  options: CompactLoadOptions,
  warnings: string[],
): Promise<CompactDense> {
  const specs = denseTensors(config);
  const problems: string[] = [];
  for (const s of specs) {
    const src = sources.get(s.name);
    if (!src) problems.push(`tensor "${s.name}" is missing (expected ${fmt(s.shape)} from ${shapeFields(s.name)})`);
    else if (fmt(src.shape) !== fmt(s.shape))
      problems.push(
        `tensor "${s.name}" has shape ${fmt(src.shape)}; the config's ${shapeFields(s.name)} give ${fmt(s.shape)}`,
      );
  }
  if (problems.length)
    throw new Error(
      `${source}: the weights do not match the config: ${problems.slice(0, 4).join('; ')}` +
        (problems.length > 4 ? `; and ${problems.length - 4} more` : ''),
    );
  const memory = plan(config, specs, sources, options);
  assertModelFits(memory, `${source} (${options.quantize ?? 'weights as stored'})`, LOAD_QUANTIZATIONS, (q) =>
    plan(config, specs, sources, { ...options, quantize: q as LoadQuantization }),
  );
  const params = new Map<string, Tensor>(),
    compact = new Map<string, CompactWeight>();
  const dispose = (): void => {
    for (const t of params.values()) t.dispose();
    for (const w of compact.values()) w.dispose();
  };
  try {
    for (const s of specs) {
      const src = sources.get(s.name)!;
      if (s.shape.length !== 2) {
        const bytes = new Uint8Array(ggmlRowBytes(src.type, s.shape[0]!));
        await src.readRows(0, 1, bytes);
        params.set(s.name, engine.keep(engine.tensor(dequantize(src.type, bytes, s.shape[0]!), s.shape)));
        continue;
      }
      const [rows, cols] = s.shape as [number, number];
      const type = targetType(src.type, cols, options.quantize);
      const rowBytes = ggmlRowBytes(type, cols);
      const w = CompactWeight.alloc(engine, GGML_TYPES[type], type, rows, cols, rows * rowBytes);
      compact.set(s.name, w);
      if (type === src.type) {
        await src.readRows(0, rows, w.view());
        continue;
      }
      const srcRowBytes = ggmlRowBytes(src.type, cols),
        chunk = Math.max(1, Math.floor(STAGING_BYTES / srcRowBytes)),
        quantize = quantizer(type as 'Q8_0' | 'Q4_0');
      for (let r0 = 0; r0 < rows; r0 += chunk) {
        const r1 = Math.min(rows, r0 + chunk),
          staged = new Uint8Array((r1 - r0) * srcRowBytes);
        await src.readRows(r0, r1, staged);
        w.view().set(quantize(dequantize(src.type, staged, (r1 - r0) * cols)), r0 * rowBytes);
      }
    }
  } catch (err) {
    dispose();
    throw err;
  }
  return { config, params, compact, weightBytes: memory.weightBytes, warnings, dispose };
}

/** Loads a Hugging Face folder (config.json and safetensors weights). */
export async function loadDenseFolder(
  engine: Engine,
  dir: string,
  options: CompactLoadOptions = {},
): Promise<CompactDense> {
  const { config, warnings } = await readDenseConfig(join(dir, 'config.json'));
  const stream = await CheckpointStream.open(dir);
  try {
    const sources = new Map<string, Source>();
    for (const [name, e] of stream.entries) {
      if (e.dtype !== 'F32' && e.dtype !== 'F16' && e.dtype !== 'BF16') {
        sources.set(name, {
          type: 'F32',
          shape: e.shape,
          readRows: () =>
            Promise.reject(new Error(`${e.file}: tensor "${name}" is ${e.dtype}; expected BF16, F16 or F32`)),
        });
        continue;
      }
      const type = e.dtype as GgmlType,
        cols = e.shape[e.shape.length - 1] ?? 1;
      sources.set(name, {
        type,
        shape: e.shape,
        readRows: (r0, _r1, target) => stream.readInto(name, target, r0 * ggmlRowBytes(type, cols)),
      });
    }
    const known = new Set(denseTensors(config).map((s) => s.name));
    const unused = [...stream.entries.keys()].filter((k) => !known.has(k));
    if (unused.length)
      warnings.push(
        `${dir}: ignoring ${unused.length} tensor(s) the model does not use: ${unused.slice(0, 5).join(', ')}`,
      );
    return await materialize(engine, config, sources, dir, options, warnings);
  } finally {
    await stream.close();
  }
}

/**
 * Undoes llama.cpp's q/k row permutation for a llama GGUF: GGUF row h*hd + 2a + b holds Hugging
 * Face row h*hd + b*hd/2 + a (a < hd/2, b < 2).
 */
export function llamaRowSource(hfRow: number, headDim: number): number {
  const h = Math.floor(hfRow / headDim),
    i = hfRow % headDim,
    half = headDim / 2;
  const b = Math.floor(i / half),
    a = i % half;
  return h * headDim + 2 * a + b;
}

/** An opened GGUF model: the weights plus the file's metadata (tokenizer, chat template). */
export interface GgufDense extends CompactDense {
  metadata: GgufFile['metadata'];
}

/** Loads a GGUF file of a `qwen2` or `llama` model. */
export async function loadDenseGguf(
  engine: Engine,
  path: string,
  options: CompactLoadOptions = {},
): Promise<GgufDense> {
  const file = await GgufFile.open(path);
  try {
    const freqs = file.tensors.get('rope_freqs.weight');
    const ropeFreqs =
      freqs === undefined
        ? undefined
        : dequantize(
            freqs.type,
            await file.read(freqs.name),
            freqs.shape.reduce((a, b) => a * b, 1),
          );
    const config = denseConfigFromGguf(file.metadata, file.tensors, path, ropeFreqs);
    const permuted = file.metadata.get('general.architecture')?.value === 'llama';
    const sources = new Map<string, Source>();
    for (const s of denseTensors(config)) {
      const name = qwen2TensorName(s.name),
        t = file.tensors.get(name);
      if (t === undefined) continue;
      const cols = t.shape[t.shape.length - 1]!,
        rowBytes = ggmlRowBytes(t.type, cols);
      const qk = permuted && /self_attn\.[qk]_proj/.test(s.name);
      sources.set(s.name, {
        type: t.type,
        shape: t.shape,
        readRows: async (r0, r1, target) => {
          if (!qk) return file.readInto(name, target, r0, r1);
          const all = await file.read(name);
          for (let r = r0; r < r1; r++) {
            const from = llamaRowSource(r, config.head_dim) * rowBytes;
            target.set(all.subarray(from, from + rowBytes), (r - r0) * rowBytes);
          }
        },
      });
    }
    const loaded = await materialize(engine, config, sources, path, options, []);
    return { ...loaded, metadata: file.metadata };
  } finally {
    await file.close();
  }
}

/** Opens a folder or a .gguf file as compact dense weights. */
export function loadDenseWeights(engine: Engine, path: string, o: CompactLoadOptions = {}): Promise<CompactDense> {
  return path.endsWith('.gguf') ? loadDenseGguf(engine, path, o) : loadDenseFolder(engine, path, o);
}
