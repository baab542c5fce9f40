/**
 * Parameter creation, save/load round trip and bad checkpoints: a missing tensor or a wrong shape
 * is an error naming the key, the expected shape and the actual one; a config without
 * kv_lora_rank is rejected by the config parser.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import {
  disposeParams,
  initParams,
  loadParams,
  paramsFromContents,
  paramsToStored,
  saveCheckpoint,
} from '../../src/models/deepseek-v3/checkpoint.js';
import { parseDeepseekV3Config, readDeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { checkpointTensors, modelFigures } from '../../src/models/deepseek-v3/params.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { decodeE4M3, encodeE4M3Array } from '../../src/io/fp8-e4m3.js';
import { BASE_CONFIG, maxAbsDiff, tinyConfig } from './fixtures.js';

const engine = (): Engine => new Engine(createReferenceBackend());

it('initialises every listed parameter: normal(0, initializer_range), unit norms, zero correction bias', () => {
  const e = engine(),
    c = tinyConfig({ num_nextn_predict_layers: 1, initializer_range: 0.05 });
  const p = initParams(e, c, new Rng(1));
  try {
    const unique = checkpointTensors(c).filter((s) => !s.sharedWith);
    assert.deepEqual(
      [...p.keys()],
      unique.map((s) => s.name),
    );
    const w = Array.from(e.read(p.get('model.layers.1.mlp.experts.3.up_proj.weight')!));
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    assert.ok(Math.abs(std - 0.05) < 0.01, `std ${std}`);
    assert.ok(Array.from(e.read(p.get('model.layers.2.enorm.weight')!)).every((v) => v === 1));
    assert.ok(Array.from(e.read(p.get('model.layers.1.mlp.gate.e_score_correction_bias')!)).every((v) => v === 0));
    assert.equal(p.get('model.layers.1.mlp.gate.e_score_correction_bias')!.requiresGrad, false);
    assert.equal(p.get('lm_head.weight')!.requiresGrad, true);
    const again = initParams(e, c, new Rng(1));
    assert.deepEqual(e.read(again.get('lm_head.weight')!), e.read(p.get('lm_head.weight')!));
    disposeParams(again);
  } finally {
    disposeParams(p);
  }
});

it('the created parameters add up to params.ts figures (main model + MTP)', () => {
  const e = engine(),
    c = tinyConfig({ num_nextn_predict_layers: 2 });
  const p = initParams(e, c, new Rng(4));
  try {
    let main = 0,
      mtp = 0;
    for (const [k, t] of p) {
      const layer = /^model\.layers\.(\d+)\./.exec(k);
      if (layer && Number(layer[1]) >= c.num_hidden_layers) mtp += t.size;
      else main += t.size;
    }
    const f = modelFigures(c);
    assert.equal(main, f.total_params);
    assert.equal(mtp, f.mtp_params);
  } finally {
    disposeParams(p);
  }
});

it('save then load gives identical parameters and config', async () => {
  const e = engine(),
    c = tinyConfig({ num_nextn_predict_layers: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'dsv3-ckpt-'));
  const p = initParams(e, c, new Rng(2));
  try {
    await saveCheckpoint(dir, c, p);
    const back = await loadParams(e, c, dir);
    assert.deepEqual(back.warnings, []);
    for (const [k, t] of p) assert.deepEqual(e.read(back.params.get(k)!), e.read(t), k);
    disposeParams(back.params);
    assert.deepEqual((await readDeepseekV3Config(join(dir, 'config.json'))).config, c);
  } finally {
    disposeParams(p);
    await rm(dir, { recursive: true, force: true });
  }
});

it('a checkpoint missing a tensor or with a wrong shape is an error naming key, expected and actual', () => {
  const e = engine(),
    c = tinyConfig();
  const p = initParams(e, c, new Rng(3));
  try {
    const stored = paramsToStored(c, p);
    const missing = new Map(stored);
    missing.delete('model.layers.1.self_attn.kv_b_proj.weight');
    assert.throws(
      () => paramsFromContents(e, c, { tensors: missing, metadata: {} }, 'ckpt'),
      /ckpt: 1 tensor does not match the config: "model\.layers\.1\.self_attn\.kv_b_proj\.weight" is missing \(expected shape \[64, 8\]\)/,
    );
    const wrong = new Map(stored);
    wrong.set('model.layers.0.mlp.up_proj.weight', { dtype: 'F32', shape: [48, 31], data: new Float32Array(48 * 31) });
    assert.throws(
      () => paramsFromContents(e, c, { tensors: wrong, metadata: {} }, 'ckpt'),
      /"model\.layers\.0\.mlp\.up_proj\.weight" has shape \[48, 31\]; expected \[48, 32\]/,
    );
    const extra = new Map(stored);
    extra.set('model.layers.0.mlp.up_proj.weight_scale_inv', { dtype: 'F32', shape: [1], data: new Float32Array(1) });
    const ok = paramsFromContents(e, c, { tensors: extra, metadata: {} }, 'ckpt');
    assert.match(ok.warnings[0]!, /ignoring 1 tensor the config does not use: .*weight_scale_inv/);
    disposeParams(ok.params);
  } finally {
    disposeParams(p);
  }
});

it("dequantises weights stored in DeepSeek's FP8 layout (E4M3 + per-block weight_scale_inv)", () => {
  const e = engine(),
    c = tinyConfig({
      quantization_config: {
        quant_method: 'fp8',
        fmt: 'e4m3',
        activation_scheme: 'dynamic',
        weight_block_size: [4, 8],
      },
    });
  const p = initParams(e, c, new Rng(6));
  try {
    const key = 'model.layers.0.self_attn.kv_b_proj.weight'; // [64, 8]: 16 x 1 blocks of 4 x 8
    const w = e.read(p.get(key)!) as Float32Array;
    const scales = Float32Array.from({ length: 16 }, (_, b) => 2 ** ((b % 5) - 7));
    const bytes = encodeE4M3Array(Array.from(w, (v, i) => v / scales[Math.floor(i / 8 / 4)]!));
    const stored = paramsToStored(c, p);
    stored.set(key, { dtype: 'F8_E4M3', shape: [64, 8], data: bytes });
    stored.set(`${key}_scale_inv`, { dtype: 'F32', shape: [16, 1], data: scales });
    const got = paramsFromContents(e, c, { tensors: stored, metadata: {} }, 'fp8');
    const back = e.read(got.params.get(key)!);
    back.forEach((v, i) => assert.equal(v, Math.fround(decodeE4M3(bytes[i]!) * scales[Math.floor(i / 32)]!)));
    assert.ok(maxAbsDiff(back, w) < 0.07 * Math.max(...Array.from(w, Math.abs)), 'close to the float weights');
    disposeParams(got.params);
    stored.delete(`${key}_scale_inv`);
    assert.throws(
      () => paramsFromContents(e, c, { tensors: stored, metadata: {} }, 'fp8'),
      /"model\.layers\.0\.self_attn\.kv_b_proj\.weight" is F8_E4M3 but "model\.layers\.0\.self_attn\.kv_b_proj\.weight_scale_inv" is missing/,
    );
  } finally {
    disposeParams(p);
  }
});

it('a config without kv_lora_rank is rejected naming the key', () => {
  const raw: Record<string, unknown> = { ...BASE_CONFIG };
  delete raw.kv_lora_rank;
  assert.throws(() => parseDeepseekV3Config(raw, 'cfg.json'), /"kv_lora_rank" is missing/);
});
