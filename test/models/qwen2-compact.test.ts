/**
 * Real-checkpoint loading with compact weights, on a scaled-down config with the real layout of
 * DeepSeek-R1-Distill-Qwen (q/k/v biases, grouped-query attention, untied head): a BF16 HF folder
 * (sharded) gives the float32 model's logits on the BF16-rounded weights; --quantize Q8_0/Q4_0 give
 * the logits of the quantize-dequantized weights; GGUF files (qwen2 at BF16/Q8_0/Q4_K/Q6_K, llama
 * with llama.cpp's q/k row permutation) give the same logits as the folder; wrong shapes and a model
 * too big for wasm32 fail naming the tensor and fields.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { encodeGgufData } from '../../src/io/gguf-encode.js';
import { type GgmlType, type GgufValue, gguf, storableType } from '../../src/io/gguf-format.js';
import { type GgufTensor, writeGguf } from '../../src/io/gguf.js';
import { encodeBF16Array } from '../../src/io/half-float.js';
import { dequantize, quantizer } from '../../src/io/quant-blocks.js';
import { writeSafetensorsCheckpoint } from '../../src/io/safetensors-checkpoint.js';
import type { StoredTensor } from '../../src/io/safetensors.js';
import { llamaRowSource, loadDenseFolder, loadDenseGguf } from '../../src/models/qwen2/compact-load.js';
import { type DenseConfig, parseDenseConfig, writeDenseConfig } from '../../src/models/qwen2/config.js';
import { qwen2TensorName } from '../../src/models/qwen2/gguf-names.js';
import { DenseModel } from '../../src/models/qwen2/model.js';
import { ropeInvFreq } from '../../src/models/qwen2/rope-scaling.js';
import { denseTensors } from '../../src/models/qwen2/params.js';
import { assertModelFits } from '../../src/inference/memory-estimate.js';
import { type Engine, Rng, type Tensor } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';

const dir = mkdtempSync(join(tmpdir(), 'qwen2-compact-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const RAW = {
  model_type: 'qwen2',
  vocab_size: 300,
  hidden_size: 256,
  intermediate_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
  rope_theta: 10000,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
};
// 12 positions: more than 8 rows of x keep the products on the float path (below 8 the kernels
// round x to 8 bits, as llama.cpp does), so logits compare exactly with the float32 model
const TOKENS = [5, 17, 299, 42, 0, 7, 100, 3, 250, 11, 64, 128];

/** Random weights (float32 values exactly representable in BF16), by HF key. */
function weights(c: DenseConfig): Map<string, Float32Array> {
  const rng = new Rng(7),
    out = new Map<string, Float32Array>();
  for (const s of denseTensors(c)) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const v = Float32Array.from({ length: n }, () =>
      s.role === 'norm' ? 1 + 0.1 * rng.normal() : 0.08 * rng.normal(),
    );
    out.set(s.name, dequantize('BF16', new Uint8Array(encodeBF16Array(v).buffer), n));
  }
  return out;
}

const { config } = parseDenseConfig(RAW);
const W = weights(config);

async function writeFolder(path: string): Promise<void> {
  const stored = new Map<string, StoredTensor>();
  for (const s of denseTensors(config))
    stored.set(s.name, { dtype: 'BF16', shape: s.shape, data: encodeBF16Array(W.get(s.name)!) });
  await writeSafetensorsCheckpoint(path, stored, { maxShardBytes: 400_000 }); // several shards
  await writeDenseConfig(join(path, 'config.json'), config);
}

/** A GGUF of the weights: matrices as `type`, q/k rows permuted as llama.cpp's llama converter does. */
async function writeFile(
  path: string,
  type: GgmlType,
  arch: 'qwen2' | 'llama',
  ropeFreqs?: Float32Array,
): Promise<void> {
  const meta = new Map<string, GgufValue>([
    ['general.architecture', gguf.str(arch)],
    [`${arch}.block_count`, gguf.u32(config.num_hidden_layers)],
    [`${arch}.context_length`, gguf.u32(config.max_position_embeddings)],
    [`${arch}.embedding_length`, gguf.u32(config.hidden_size)],
    [`${arch}.feed_forward_length`, gguf.u32(config.intermediate_size)],
    [`${arch}.attention.head_count`, gguf.u32(config.num_attention_heads)],
    [`${arch}.attention.head_count_kv`, gguf.u32(config.num_key_value_heads)],
    [`${arch}.rope.freq_base`, gguf.f32(config.rope_theta)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(config.rms_norm_eps)],
  ]);
  const tensors: GgufTensor[] = [];
  for (const s of denseTensors(config)) {
    if (arch === 'llama' && s.role === 'bias') continue;
    let v = W.get(s.name)!;
    if (arch === 'llama' && /[qk]_proj\.weight/.test(s.name)) {
      const [rows, cols] = s.shape as [number, number],
        p = new Float32Array(v.length);
      for (let r = 0; r < rows; r++)
        p.set(v.subarray(r * cols, (r + 1) * cols), llamaRowSource(r, config.head_dim) * cols);
      v = p;
    }
    const t: GgmlType = s.shape.length === 1 ? 'F32' : storableType(type, s.shape[1]!);
    tensors.push({ name: qwen2TensorName(s.name), type: t, shape: s.shape, data: encodeGgufData(t, v) });
  }
  if (ropeFreqs)
    tensors.push({
      name: 'rope_freqs.weight',
      type: 'F32',
      shape: [ropeFreqs.length],
      data: encodeGgufData('F32', ropeFreqs),
    });
  await writeGguf(path, meta, tensors);
}

/** Logits of TOKENS from a model over float32 params (weights decoded through `roundTrip`). */
function referenceLogits(
  e: Engine,
  c: DenseConfig,
  roundTrip: (name: string, v: Float32Array) => Float32Array,
): Float32Array {
  const params = new Map<string, Tensor>();
  for (const s of denseTensors(c)) params.set(s.name, e.keep(e.tensor(roundTrip(s.name, W.get(s.name)!), s.shape)));
  const m = new DenseModel(e, c, params);
  const out = e.noGrad(() =>
    e.scope(() => m.forward(e.tensor(TOKENS, [1, TOKENS.length], 'i32')).toArray()),
  ) as Float32Array;
  m.dispose();
  for (const p of params.values()) p.dispose();
  return out;
}

function logitsOf(e: Engine, loaded: Awaited<ReturnType<typeof loadDenseFolder>>): Float32Array {
  const m = new DenseModel(e, loaded.config, loaded.params, 32, loaded.compact);
  const out = e.noGrad(() =>
    e.scope(() => m.forward(e.tensor(TOKENS, [1, TOKENS.length], 'i32')).toArray()),
  ) as Float32Array;
  m.dispose();
  return out;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

const quantRoundTrip =
  (type: 'Q8_0' | 'Q4_0' | 'Q4_K' | 'Q6_K') =>
  (name: string, v: Float32Array): Float32Array =>
    name.endsWith('.weight') && !/norm/.test(name) ? dequantize(type, quantizer(type)(v), v.length) : v;

forEachBackend((label, engine) => {
  const tag = label.replace(/\W+/g, '-');
  it('a sharded BF16 folder gives the float32 logits of its weights; --quantize gives the quantized ones', async () => {
    const e = engine(),
      folder = join(dir, `hf-${tag}`);
    await writeFolder(folder);
    const want = referenceLogits(e, config, (_n, v) => v);
    const bf16 = await loadDenseFolder(e, folder);
    assert.equal(bf16.compact.get('model.layers.0.mlp.down_proj.weight')!.typeName, 'BF16');
    assert.ok(maxDiff(logitsOf(e, bf16), want) < 1e-4, `BF16 max diff ${maxDiff(logitsOf(e, bf16), want)}`);
    bf16.dispose();
    for (const q of ['Q8_0', 'Q4_0'] as const) {
      const loaded = await loadDenseFolder(e, folder, { quantize: q });
      assert.equal(loaded.compact.get('lm_head.weight')!.typeName, q);
      const d = maxDiff(logitsOf(e, loaded), referenceLogits(e, config, quantRoundTrip(q)));
      assert.ok(d < 1e-4, `${q} max diff ${d}`);
      loaded.dispose();
    }
    assert.equal(e.liveBytes, 0);
  });

  it('GGUF files give the logits of the folder at the same format (qwen2, and llama with permuted q/k)', async () => {
    const e = engine(),
      folder = join(dir, `hf2-${tag}`);
    await writeFolder(folder);
    const fromFolder = await loadDenseFolder(e, folder);
    const base = logitsOf(e, fromFolder);
    fromFolder.dispose();
    const q8 = await loadDenseFolder(e, folder, { quantize: 'Q8_0' });
    const baseQ8 = logitsOf(e, q8);
    q8.dispose();
    for (const [type, arch, want, tol] of [
      ['BF16', 'qwen2', base, 0],
      ['Q8_0', 'qwen2', baseQ8, 0],
      ['BF16', 'llama', undefined, 0],
    ] as const) {
      const path = join(dir, `${tag}-${arch}-${type}.gguf`);
      await writeFile(path, type, arch);
      const loaded = await loadDenseGguf(e, path);
      const got = logitsOf(e, loaded);
      if (arch === 'llama') {
        // no biases in a llama file: compare with the folder's weights without them
        const c = { ...loaded.config };
        assert.equal(c.model_type, 'llama');
        const ref = referenceLogits(e, c, (_n, v) => v);
        assert.ok(maxDiff(got, ref) < 1e-4, `llama max diff ${maxDiff(got, ref)}`);
      } else assert.ok(maxDiff(got, want!) <= tol + 1e-6, `${type} max diff ${maxDiff(got, want!)}`);
      loaded.dispose();
    }
    // Llama 3 rope scaling as llama.cpp's converter stores it: per-pair divisors in rope_freqs.weight
    // (head_dim 64, theta 1e4: thresholds at wavelengths 8 and 32 put pairs 1-5 in the blend)
    const scaling = {
      rope_type: 'llama3',
      factor: 4,
      low_freq_factor: 1,
      high_freq_factor: 4,
      original_max_position_embeddings: 32,
    } as const;
    const plain = ropeInvFreq(config.head_dim, config.rope_theta, null),
      scaled = ropeInvFreq(config.head_dim, config.rope_theta, scaling);
    const path3 = join(dir, `${tag}-llama3.gguf`);
    await writeFile(
      path3,
      'BF16',
      'llama',
      Float32Array.from(plain, (f, i) => f / scaled[i]!),
    );
    const llama3 = await loadDenseGguf(e, path3);
    assert.deepEqual(llama3.config.rope_scaling, scaling, 'config.json form recovered from the divisors');
    const c3 = { ...llama3.config, rope_scaling: scaling },
      got3 = logitsOf(e, llama3);
    const ref3 = referenceLogits(e, c3, (_n, v) => v);
    assert.ok(maxDiff(got3, ref3) < 1e-4, `llama3 max diff ${maxDiff(got3, ref3)}`);
    const unscaled = referenceLogits(e, { ...c3, rope_scaling: null }, (_n, v) => v);
    assert.ok(maxDiff(got3, unscaled) > 1e-3, `scaling moved the logits by only ${maxDiff(got3, unscaled)}`);
    llama3.dispose();
    for (const type of ['Q4_K', 'Q6_K'] as const) {
      const path = join(dir, `${tag}-${type}.gguf`);
      await writeFile(path, type, 'qwen2');
      const loaded = await loadDenseGguf(e, path);
      assert.equal(loaded.compact.get('model.layers.1.self_attn.q_proj.weight')!.typeName, type);
      const d = maxDiff(logitsOf(e, loaded), referenceLogits(e, config, quantRoundTrip(type)));
      assert.ok(d < 1e-4, `${type} max diff ${d} from the float32 model of the dequantized weights`);
      loaded.dispose();
    }
    assert.equal(e.liveBytes, 0);
  });
});

it('a tensor shape that contradicts the config names the tensor and the fields', async () => {
  const folder = join(dir, 'bad-shape');
  await writeFolder(folder);
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ ...RAW, intermediate_size: 768 }));
  const { createReferenceBackend } = await import('../../src/kernels/index.js');
  const { Engine } = await import('../../src/tensor/index.js');
  const e = new Engine(createReferenceBackend());
  await assert.rejects(
    loadDenseFolder(e, folder),
    /tensor "model\.layers\.0\.mlp\.gate_proj\.weight" has shape \[512, 256\]; the config's intermediate_size, hidden_size give \[768, 256\]/,
  );
});

it('a model too big for wasm32 is refused with its size and the quantization that fits', () => {
  // DeepSeek-R1-Distill-Qwen-7B at BF16: 15.2 GB; at Q4_K about 4.4 GB: neither fits
  const big = parseDenseConfig({
    model_type: 'qwen2',
    vocab_size: 152064,
    hidden_size: 3584,
    intermediate_size: 18944,
    num_hidden_layers: 28,
    num_attention_heads: 28,
    num_key_value_heads: 4,
  }).config;
  const bytes = (bpw: number): number =>
    denseTensors(big).reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0) * bpw;
  assert.throws(
    () =>
      assertModelFits({ weightBytes: bytes(2), runtimeBytes: 1e8 }, 'R1-Distill-Qwen-7B', ['Q8_0', 'Q4_0'], (q) => ({
        weightBytes: bytes(q === 'Q8_0' ? 34 / 32 : 18 / 32),
        runtimeBytes: 1e8,
      })),
    /R1-Distill-Qwen-7B: needs 15\.\d\d GB of WASM memory \(weights 15\.2\d GB.*holds 4\.29 GB\. No load-time quantization makes it fit/,
  );
  // the 1.5B at BF16 (3.55 GB) fits; 1.5B with a huge KV cache does not, and Q8_0 would
  assertModelFits({ weightBytes: 3.55e9, runtimeBytes: 1e8 }, '1.5B');
  assert.throws(
    () =>
      assertModelFits({ weightBytes: 3.55e9, runtimeBytes: 8e8 }, '1.5B', ['Q8_0'], () => ({
        weightBytes: 1.9e9,
        runtimeBytes: 8e8,
      })),
    /At Q8_0 it would need 2\.7\d GB \(weights 1\.90 GB\): pass --quantize q8_0/,
  );
});
