/**
 * Writing a random-weight checkpoint of a Qwen2 / Llama config (or a DeepSeek-V3 one) as a Hugging
 * Face folder: config.json, safetensors shards with model.safetensors.index.json in BF16/F16/F32,
 * generation_config.json, and, unless the caller supplies one, a byte-level tokenizer (256 byte
 * tokens, no merges, R1's special tokens and chat template). Used by `deepseek-ts init-model` to
 * benchmark real model shapes (e.g. DeepSeek-R1-Distill-Qwen-1.5B's config) without downloads.
 *
 * Tensors are generated and written one at a time (writeSafetensorsStream), so a 3.5 GB BF16
 * checkpoint takes one tensor of memory. Initialisation as HF's `_init_weights`: normal(0,
 * initializer_range) matrices and embeddings, unit norms, zero biases, drawn in key order from
 * one seeded Rng.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dtype } from '../../io/dtypes.js';
import { encodeBF16Array, encodeF16Array } from '../../io/half-float.js';
import { INDEX_FILE } from '../../io/safetensors-checkpoint.js';
import { type StreamedTensor, writeSafetensorsStream } from '../../io/safetensors-stream.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { Rng } from '../../tensor/index.js';
import { byteToUnicodeTable } from '../../tokenizer/byte-level.js';
import { DEEPSEEK_SPLIT_PATTERNS } from '../../tokenizer/pretokenize.js';
import { R1_ADDED_TOKENS } from '../../tokenizer/special-tokens.js';
import { buildTokenizerConfig, buildTokenizerJson, saveTokenizer } from '../../tokenizer/tokenizer-json.js';
import type { DenseConfig } from './config.js';
import { denseTensors } from './params.js';

/** Storage dtypes init-model writes. */
export const INIT_DTYPES = ['BF16', 'F16', 'F32'] as const;
export type InitDtype = (typeof INIT_DTYPES)[number];

export interface InitCheckpointOptions {
  dtype: InitDtype;
  seed: number;
  /** Largest shard in bytes (default 2 GB). */
  maxShardBytes?: number;
}

/** A tensor to initialise: name, shape and its fill (normal draws, or a constant). */
export interface InitSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly fill: 'normal' | 0 | 1;
}

/** The dense config's tensors with their initial fill. */
export function denseInitSpecs(c: DenseConfig): InitSpec[] {
  return denseTensors(c).map((s) => ({
    name: s.name,
    shape: s.shape,
    fill: s.role === 'norm' ? 1 : s.role === 'bias' ? 0 : 'normal',
  }));
}

const ITEM: Readonly<Record<InitDtype, number>> = { BF16: 2, F16: 2, F32: 4 };

function encode(dtype: InitDtype, v: Float32Array): Uint8Array {
  const a = dtype === 'BF16' ? encodeBF16Array(v) : dtype === 'F16' ? encodeF16Array(v) : v;
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Writes the weight shards and the index of `specs` into `dir`; returns the file names. */
export async function writeRandomWeights(
  dir: string,
  specs: readonly InitSpec[],
  std: number,
  o: InitCheckpointOptions,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const rng = new Rng(o.seed),
    limit = o.maxShardBytes ?? 2e9;
  const tensors: StreamedTensor[] = specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    return {
      name: s.name,
      dtype: o.dtype as Dtype,
      shape: s.shape,
      bytes: n * ITEM[o.dtype],
      produce: () => {
        const v = new Float32Array(n);
        if (s.fill === 'normal') for (let i = 0; i < n; i++) v[i] = std * rng.normal();
        else v.fill(s.fill);
        return encode(o.dtype, v);
      },
    };
  });
  const shards: StreamedTensor[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    if (size > 0 && size + t.bytes > limit) {
      shards.push([]);
      size = 0;
    }
    shards[shards.length - 1]!.push(t);
    size += t.bytes;
  }
  const names = shards.map(
    (_, i) => `model-${String(i + 1).padStart(5, '0')}-of-${String(shards.length).padStart(5, '0')}.safetensors`,
  );
  for (let i = 0; i < shards.length; i++) await writeSafetensorsStream(join(dir, names[i]!), shards[i]!);
  const weightMap: Record<string, string> = {};
  shards.forEach((s, i) => {
    for (const t of s) weightMap[t.name] = names[i]!;
  });
  const total = tensors.reduce((a, t) => a + t.bytes, 0);
  const index = { metadata: { total_size: total }, weight_map: weightMap };
  await writeFileAtomic(join(dir, INDEX_FILE), new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`));
  return names;
}

/** The byte-level tokenizer (R1 specials and chat template) written when none is given. */
export function writeByteLevelTokenizer(dir: string, maxLength: number): void {
  const json = buildTokenizerJson(byteToUnicodeTable(), [], R1_ADDED_TOKENS, DEEPSEEK_SPLIT_PATTERNS);
  saveTokenizer(dir, json, buildTokenizerConfig(maxLength));
}
