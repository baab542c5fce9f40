/**
 * Fixtures for the export tests: checkpoint folders in a temp directory, built from the
 * tiny-v3 reference weights (test/fixtures/reference) (DeepseekV3 with MoE, MLA, q LoRA, YaRN) or from random weights
 * of any config, each with a byte-level tokenizer.json matching the model's vocabulary (256 byte
 * tokens, then merge-free filler tokens when the vocabulary is larger).
 */
import { mkdtemp, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensorsCheckpoint } from '../../src/io/safetensors-checkpoint.js';
import type { StoredTensor } from '../../src/io/safetensors.js';
import { toConfigJson, type DeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { checkpointTensors } from '../../src/models/deepseek-v3/params.js';
import { byteToUnicodeTable } from '../../src/tokenizer/byte-level.js';
import { parseDenseConfig } from '../../src/models/qwen2/config.js';
import { denseTensors } from '../../src/models/qwen2/params.js';

import { TINY_V3_DIR } from '../helpers/fixtures.js';

/** test/fixtures/reference/deepseek-v3/tiny-v3 (DeepSeek's official code's weights and outputs). */
export { TINY_V3_DIR };

/** A byte-level BPE tokenizer.json of exactly `vocabSize` tokens (>= 256), no merges. */
export function byteTokenizerJson(vocabSize: number): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteToUnicodeTable().forEach((ch, i) => (vocab[ch] = i));
  for (let i = 256; i < vocabSize; i++) vocab[`<extra_${i}>`] = i;
  return {
    version: '1.0',
    added_tokens: [],
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', vocab, merges: [] },
  };
}

/** A temp folder. */
export async function tempDir(prefix = 'export-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A checkpoint folder holding the tiny-v3 reference config + weights and a byte tokenizer. */
export async function tinyV3Checkpoint(): Promise<string> {
  const dir = await tempDir('tiny-v3-');
  await copyFile(join(TINY_V3_DIR, 'config.json'), join(dir, 'config.json'));
  await copyFile(join(TINY_V3_DIR, 'model.safetensors'), join(dir, 'model.safetensors'));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson(256)));
  return dir;
}

/** A deterministic pseudo-random stream (mulberry32) in [-1, 1). */
export function randomStream(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** Random F32 weights for every tensor of `config` (norms near 1, matrices scaled by 1/sqrt(in)). */
export function randomTensors(config: DeepseekV3Config, seed = 1): Map<string, StoredTensor> {
  const rand = randomStream(seed);
  const out = new Map<string, StoredTensor>();
  for (const s of checkpointTensors(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    const scale = s.shape.length === 2 ? 1 / Math.sqrt(s.shape[1]!) : 0.1;
    for (let i = 0; i < n; i++) data[i] = (s.role === 'norm' ? 1 : 0) + scale * rand();
    out.set(s.name, { dtype: 'F32', shape: s.shape, data });
  }
  return out;
}

/** A checkpoint folder with random weights for `config` and a byte tokenizer of its vocabulary. */
export async function randomCheckpoint(config: DeepseekV3Config, seed = 1): Promise<string> {
  const dir = await tempDir('random-ckpt-');
  await writeFile(join(dir, 'config.json'), JSON.stringify(toConfigJson(config), null, 2));
  await writeSafetensorsCheckpoint(dir, randomTensors(config, seed));
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson(config.vocab_size)));
  return dir;
}

/** A small Qwen2 student config.json object (GQA 4/2 heads, q/k/v biases). */
export function smallQwen2Json(vocabSize: number): Record<string, unknown> {
  return {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    vocab_size: vocabSize,
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: 128,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    bos_token_id: 0,
    eos_token_id: 1,
    torch_dtype: 'float32',
  };
}

/** A checkpoint folder of a dense student with random weights and a byte tokenizer of its vocabulary. */
export async function randomDenseCheckpoint(configJson: Record<string, unknown>, seed = 1): Promise<string> {
  const { config } = parseDenseConfig(configJson);
  const rand = randomStream(seed);
  const tensors = new Map<string, StoredTensor>();
  for (const s of denseTensors(config)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const scale = s.shape.length === 2 ? 1 / Math.sqrt(s.shape[1]!) : 0.1;
    tensors.set(s.name, {
      dtype: 'F32',
      shape: s.shape,
      data: Float32Array.from({ length: n }, () => (s.role === 'norm' ? 1 : 0) + scale * rand()),
    });
  }
  const dir = await tempDir('dense-ckpt-');
  await writeFile(join(dir, 'config.json'), JSON.stringify(configJson, null, 2));
  await writeSafetensorsCheckpoint(dir, tensors);
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizerJson(config.vocab_size)));
  return dir;
}
