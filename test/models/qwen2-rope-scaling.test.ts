/**
 * Llama 3 rope scaling of the dense students (src/models/qwen2/rope-scaling.ts): inv_freq golden
 * values in the three regimes (kept, blended, divided by factor) computed by hand from the
 * definition in transformers' llama3 rope init, config validation, and the forward pass of the
 * qwen2-tiny weights with rope scaling against the float64 NumPy reference
 * (scripts/golden/qwen2_reference.py writes reference-llama3.safetensors with LLAMA3 below).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { qwen2Problems } from '../../src/export/gguf-qwen2.js';
import { type GgufValue, gguf } from '../../src/io/gguf-format.js';
import type { GgufTensorInfo } from '../../src/io/gguf-reader.js';
import { readSafetensors, tensorToFloat32 } from '../../src/io/safetensors.js';
import { denseConfigFromGguf } from '../../src/models/qwen2/gguf-config.js';
import {
  DenseModel,
  loadDenseParams,
  parseDenseConfig,
  readDenseConfig,
  writeDenseConfig,
} from '../../src/models/qwen2/index.js';
import { llama3ScalingFromFreqFactors, ropeInvFreq } from '../../src/models/qwen2/rope-scaling.js';
import { forEachBackend } from '../helpers/backends.js';

const DIR = fileURLToPath(new URL('../../../test/fixtures/qwen2-tiny/', import.meta.url));
const LLAMA3 = {
  rope_type: 'llama3',
  factor: 8.0,
  low_freq_factor: 1.0,
  high_freq_factor: 4.0,
  original_max_position_embeddings: 128,
} as const;
/** DeepSeek-R1-Distill-Llama-8B's config.json rope_scaling. */
const R1_LLAMA_8B = { ...LLAMA3, original_max_position_embeddings: 8192 };

function close(got: number, want: number, what: string): void {
  assert.ok(Math.abs(got - want) <= 1e-12 * Math.abs(want), `${what}: ${got} vs ${want}`);
}

it('inv_freq of a small head: kept, blended and divided pairs', () => {
  // head_dim 8, theta 1e4: inv = 1, 0.1, 0.01, 0.001; wavelen 2 pi / inv = 6.28, 62.8, 628, 6283;
  // thresholds L / high = 32 and L / low = 128 with L = 128.
  const inv = ropeInvFreq(8, 10000, LLAMA3);
  close(inv[0]!, 1, 'pair 0 (wavelen 6.28 < 32: kept)');
  const s = (128 / ((2 * Math.PI) / 0.1) - 1) / (4 - 1); // 0.3457 for wavelen 62.8
  close(inv[1]!, (1 - s) * (0.1 / 8) + s * 0.1, 'pair 1 (blended)');
  close(inv[1]!, 0.042751178754307596, 'pair 1 (blended, NumPy)');
  close(inv[2]!, 0.01 / 8, 'pair 2 (wavelen 628 > 128: divided)');
  close(inv[3]!, 0.001 / 8, 'pair 3 (divided)');
  const plain = ropeInvFreq(8, 10000, null);
  for (const [i, want] of [1, 0.1, 0.01, 0.001].entries()) close(plain[i]!, want, `unscaled pair ${i}`);
});

it('inv_freq of DeepSeek-R1-Distill-Llama-8B (head_dim 128, theta 5e5) at the regime edges', () => {
  // wavelen < 2048 up to pair 28, > 8192 from pair 35; values from float64 NumPy of the definition
  const inv = ropeInvFreq(128, 500000, R1_LLAMA_8B);
  const want: [number, number][] = [
    [0, 1],
    [28, 0.0032114459947525913],
    [29, 0.002166570763503359],
    [32, 0.0005248461609929547],
    [34, 0.00017850781276799638],
    [35, 9.556212353964683e-5],
    [63, 3.068925988914511e-7],
  ];
  for (const [i, w] of want) close(inv[i]!, w, `pair ${i}`);
  // continuity at the thresholds: the blend meets both neighbours' rules
  const base = (i: number) => 500000 ** (-(2 * i) / 128);
  assert.ok(inv[29]! < base(29) && inv[29]! > base(29) / 8, 'pair 29 lies between kept and divided');
});

it('config.json rope_scaling: llama3 accepted (rope_type or the older type key), others refused by name', async () => {
  const base = { model_type: 'llama', vocab_size: 11, hidden_size: 8, intermediate_size: 12 };
  const cfg = (rope_scaling: unknown) =>
    parseDenseConfig({ ...base, num_hidden_layers: 1, num_attention_heads: 2, rope_scaling });
  assert.deepEqual(cfg(R1_LLAMA_8B).config.rope_scaling, R1_LLAMA_8B);
  const { rope_type: _, ...old } = R1_LLAMA_8B;
  assert.deepEqual(cfg({ ...old, type: 'llama3' }).config.rope_scaling, R1_LLAMA_8B);
  assert.equal(cfg(null).config.rope_scaling, null);
  assert.equal(cfg({ rope_type: 'default' }).config.rope_scaling, null);
  assert.throws(() => cfg({ rope_type: 'yarn', factor: 4 }), /"rope_scaling\.rope_type" "yarn" is not supported/);
  assert.throws(() => cfg({ type: 'linear', factor: 2 }), /"rope_scaling\.type" "linear" is not supported/);
  assert.throws(() => cfg({ ...R1_LLAMA_8B, factor: undefined }), /"rope_scaling\.factor" must be a positive number/);
  assert.throws(() => cfg({ ...R1_LLAMA_8B, high_freq_factor: 1 }), /high_freq_factor" \(1\) must exceed/);
  assert.match(cfg({ ...R1_LLAMA_8B, extra: 1 }).warnings.join('\n'), /unknown rope_scaling keys extra/);
  // written back as it was read
  const dir = mkdtempSync(join(tmpdir(), 'dsts-rope-'));
  try {
    await writeDenseConfig(join(dir, 'config.json'), cfg(R1_LLAMA_8B).config);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')).rope_scaling, R1_LLAMA_8B);
    assert.deepEqual((await readDenseConfig(join(dir, 'config.json'))).config.rope_scaling, R1_LLAMA_8B);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** llama.cpp's rope_freqs values for a scaling: inv_i / scaled_i in float32, as its converter writes them. */
const divisorsOf = (headDim: number, theta: number, sc: typeof LLAMA3 | typeof R1_LLAMA_8B | null) => {
  const plain = ropeInvFreq(headDim, theta, null),
    scaled = ropeInvFreq(headDim, theta, sc);
  return Float32Array.from(plain, (f, i) => f / scaled[i]!);
};

it('rope_freqs divisors give back the llama3 rope_scaling: R1-Distill-Llama-8B exactly, others equivalently', () => {
  // 7 blended pairs: the fitted line gives the release's own numbers
  assert.deepEqual(llama3ScalingFromFreqFactors(divisorsOf(128, 500000, R1_LLAMA_8B), 128, 500000, 'f'), R1_LLAMA_8B);
  // one blended pair (head_dim 8) and none ([1, 1, 8, 8]): some scaling with the same divisors
  for (const d of [divisorsOf(8, 10000, LLAMA3), Float32Array.from([1, 1, 8, 8])]) {
    const sc = llama3ScalingFromFreqFactors(d, 8, 10000, 'f');
    const again = divisorsOf(8, 10000, sc as typeof LLAMA3);
    for (let i = 0; i < 4; i++)
      assert.ok(Math.abs(again[i]! - d[i]!) <= 1e-5 * d[i]!, `pair ${i}: ${again[i]} vs ${d[i]}`);
  }
  const refuse = (d: number[], re: RegExp) =>
    assert.throws(() => llama3ScalingFromFreqFactors(Float32Array.from(d), 8, 10000, 'x.gguf'), re);
  refuse([1, 8, 1, 8], /x\.gguf: tensor "rope_freqs\.weight".*(not llama3|does not blend)/);
  refuse([1, 2, 3, 8, 2], /has 5 values; expected head_dim \/ 2 = 4/);
  refuse([1, 0.5, 1, 1], /below 1/);
  refuse([1, 1, 1, 1], /all ones/);
});

it('GGUF: export refuses llama3 scaling; import reads rope_freqs.weight into rope_scaling', () => {
  const { config } = parseDenseConfig({
    model_type: 'llama',
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    rope_scaling: R1_LLAMA_8B,
  });
  assert.match(qwen2Problems(config).join('\n'), /rope_scaling llama3 needs llama\.cpp's "rope_freqs\.weight"/);
  assert.deepEqual(qwen2Problems({ ...config, rope_scaling: null }), []);
  const meta = new Map<string, GgufValue>([
    ['general.architecture', gguf.str('llama')],
    ['llama.embedding_length', gguf.u32(8)],
    ['llama.attention.head_count', gguf.u32(1)],
    ['llama.feed_forward_length', gguf.u32(12)],
    ['llama.block_count', gguf.u32(1)],
    ['llama.context_length', gguf.u32(64)],
  ]);
  const info = (name: string, shape: number[]): GgufTensorInfo => ({ name, type: 'F32', shape, offset: 0, bytes: 0 });
  const tensors = new Map([
    ['token_embd.weight', info('token_embd.weight', [11, 8])],
    ['rope_freqs.weight', info('rope_freqs.weight', [4])],
  ]);
  assert.throws(
    () => denseConfigFromGguf(meta, tensors, 'x.gguf'),
    /x\.gguf: tensor "rope_freqs\.weight" .*was not read/,
  );
  const c = denseConfigFromGguf(meta, tensors, 'x.gguf', Float32Array.from([1, 1, 8, 8]));
  assert.equal(c.rope_scaling?.rope_type, 'llama3');
  assert.equal(c.rope_scaling?.factor, 8);
  assert.equal(
    denseConfigFromGguf(meta, new Map([['token_embd.weight', tensors.get('token_embd.weight')!]]), 'x').rope_scaling,
    null,
  );
});

forEachBackend((_name, engine) => {
  it('forward with llama3 rope scaling matches the NumPy reference and differs from unscaled', async () => {
    const e = engine();
    const raw = JSON.parse(await readFile(join(DIR, 'config.json'), 'utf8'));
    const { config } = parseDenseConfig({ ...raw, rope_scaling: LLAMA3 });
    const { params } = await loadDenseParams(e, config, DIR);
    const ref = await readSafetensors(join(DIR, 'reference-llama3.safetensors'));
    const unscaled = tensorToFloat32(
      (await readSafetensors(join(DIR, 'reference.safetensors'))).tensors.get('logits')!,
    );
    const tokens = ref.tensors.get('tokens')!,
      want = tensorToFloat32(ref.tensors.get('logits')!);
    const model = new DenseModel(e, config, params);
    e.scope(() => {
      const ids = e.tensor(Array.from(tokens.data as Int32Array), tokens.shape, 'i32');
      const got = model.forward(ids).toArray(); // (B, T, V)
      let maxDiff = 0,
        fromUnscaled = 0;
      for (let i = 0; i < want.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
        fromUnscaled = Math.max(fromUnscaled, Math.abs(got[i]! - unscaled[i]!));
      }
      assert.ok(maxDiff < 1e-4, `max |logit diff| vs scaled reference ${maxDiff}`);
      assert.ok(fromUnscaled > 1e-2, `scaling changed the logits by only ${fromUnscaled}`);
      const loss = model.loss(ids).item(),
        wantLoss = (ref.tensors.get('loss')!.data as Float64Array)[0]!;
      assert.ok(Math.abs(loss - wantLoss) < 1e-5, `loss ${loss} vs ${wantLoss}`);
    });
    model.dispose();
    for (const p of params.values()) p.dispose();
  });
});
