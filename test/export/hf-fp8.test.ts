/**
 * Hugging Face bundles and DeepSeek's FP8 layout: export then re-import equals the original (HF
 * exactly, sharded or not; FP8 within E4M3's rounding per 128x128 block), the bundle's side files,
 * and clear errors for a truncated safetensors file, an unsupported quantization_config and FP8
 * weights without scales.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { readFile, truncate, writeFile, stat } from 'node:fs/promises';
import { loadAnyCheckpoint, loadCheckpoint } from '../../src/export/checkpoint.js';
import { dequantizeFp8Blocks, quantizeFp8Blocks } from '../../src/export/fp8-blocks.js';
import { denseFp8TensorNames, fp8TensorNames } from '../../src/export/fp8-checkpoint.js';
import { writeHfBundle } from '../../src/export/hf-bundle.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { ggufTensorToFloat32, readGguf } from '../../src/io/gguf.js';
import { tensorToFloat32 } from '../../src/io/safetensors.js';
import { readSafetensorsCheckpoint } from '../../src/io/safetensors-checkpoint.js';
import { getPreset } from '../../src/models/deepseek-v3/presets.js';
import { randomCheckpoint, randomDenseCheckpoint, randomStream, smallQwen2Json, tinyV3Checkpoint } from './fixtures.js';

describe('FP8 block quantisation', () => {
  it('stores amax/448 per 128x128 block (partial edge blocks included) and dequantises within E4M3 rounding', () => {
    const rows = 130,
      cols = 200,
      rand = randomStream(3);
    const w = Float32Array.from({ length: rows * cols }, (_, i) => rand() * (i % 7 === 0 ? 5 : 0.01));
    const q = quantizeFp8Blocks(w, rows, cols);
    assert.deepEqual(q.scaleShape, [2, 2]);
    for (const [bi, bj] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const) {
      let amax = 0;
      for (let r = bi * 128; r < Math.min(rows, bi * 128 + 128); r++)
        for (let c = bj * 128; c < Math.min(cols, bj * 128 + 128); c++)
          amax = Math.max(amax, Math.abs(w[r * cols + c]!));
      assert.equal(q.scaleInv[bi * 2 + bj], Math.fround(amax / 448));
    }
    const back = dequantizeFp8Blocks(q.weight, q.scaleInv, rows, cols);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const s = q.scaleInv[Math.floor(r / 128) * 2 + Math.floor(c / 128)]!;
        const x = w[r * cols + c]!,
          err = Math.abs(back[r * cols + c]! - x);
        // 3 mantissa bits: half an ulp is 2^-4 relative for normals; subnormal spacing is 2^-9 * s
        assert.ok(
          err <= Math.max(Math.abs(x) * 2 ** -4, 2 ** -10 * s) * 1.0001,
          `[${r}, ${c}] ${x} -> ${back[r * cols + c]}`,
        );
      }
    }
    assert.throws(
      () => dequantizeFp8Blocks(q.weight, new Float32Array(3), rows, cols),
      /weight_scale_inv has 3 values; expected \[2, 2\]/,
    );
  });
});

describe('HF bundle', () => {
  it('re-imports exactly (sharded), with config, generation_config and tokenizer files', async () => {
    const src = await tinyV3Checkpoint();
    const ck = await loadCheckpoint(src);
    const out = join(src, 'hf');
    const r = await writeHfBundle(ck, out, { maxShardBytes: 200_000 });
    assert.ok(r.files.includes('model.safetensors.index.json'), `sharded: ${r.files.join(', ')}`);
    const back = await loadCheckpoint(out);
    assert.deepEqual(back.config, ck.config);
    assert.deepEqual([...back.tensors.keys()].sort(), [...ck.tensors.keys()].sort());
    for (const [name, t] of ck.tensors) assert.deepEqual(back.tensors.get(name)!.data, t.data, name);
    const gen = JSON.parse(await readFile(join(out, 'generation_config.json'), 'utf8'));
    assert.equal(gen.temperature, 0.6);
    assert.equal(gen.top_p, 0.95);
    assert.equal(gen.eos_token_id, 1);
    const tc = JSON.parse(await readFile(join(out, 'tokenizer_config.json'), 'utf8'));
    assert.match(tc.chat_template, /<｜Assistant｜>/);
    assert.deepEqual(
      JSON.parse(await readFile(join(out, 'tokenizer.json'), 'utf8')),
      JSON.parse(await readFile(join(src, 'tokenizer.json'), 'utf8')),
    );
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.architectures, ['DeepseekV3ForCausalLM']);
    assert.equal(cfg.quantization_config, undefined);
  });

  it('casts to BF16 on request', async () => {
    const src = await tinyV3Checkpoint();
    await writeHfBundle(await loadCheckpoint(src), join(src, 'bf16'), { dtype: 'BF16' });
    const back = await readSafetensorsCheckpoint(join(src, 'bf16'));
    assert.ok([...back.tensors.values()].every((t) => t.dtype === 'BF16'));
    assert.equal(JSON.parse(await readFile(join(src, 'bf16', 'config.json'), 'utf8')).torch_dtype, 'bfloat16');
  });
});

describe('FP8 checkpoints', () => {
  it("export in DeepSeek's layout, load back dequantised within quantisation error, and report it", async () => {
    const config = getPreset('bench-small');
    const src = await randomCheckpoint(config, 5);
    const ck = await loadCheckpoint(src);
    const out = join(src, 'fp8');
    const r = await writeHfBundle(ck, out, { fp8: true });
    const targets = fp8TensorNames(config);
    assert.equal(r.fp8!.quantized, targets.size);
    assert.ok(r.fp8!.rmsRelError > 0 && r.fp8!.rmsRelError < 0.05, `relative RMS error ${r.fp8!.rmsRelError}`);
    assert.ok(r.fp8!.bytesAfter < r.fp8!.bytesBefore / 3.9, 'about 4x smaller than float32');
    const cfg = JSON.parse(await readFile(join(out, 'config.json'), 'utf8'));
    assert.deepEqual(cfg.quantization_config, {
      quant_method: 'fp8',
      fmt: 'e4m3',
      activation_scheme: 'dynamic',
      weight_block_size: [128, 128],
    });
    const raw = await readSafetensorsCheckpoint(out);
    const qa = raw.tensors.get('model.layers.1.self_attn.q_b_proj.weight')!;
    assert.equal(qa.dtype, 'F8_E4M3');
    assert.deepEqual(raw.tensors.get('model.layers.1.self_attn.q_b_proj.weight_scale_inv')!.shape, [
      Math.ceil(qa.shape[0]! / 128),
      Math.ceil(qa.shape[1]! / 128),
    ]);
    assert.equal(raw.tensors.get('model.embed_tokens.weight')!.dtype, 'F32');
    assert.equal(raw.tensors.get('model.layers.1.mlp.gate.weight')!.dtype, 'F32');
    const back = await loadCheckpoint(out);
    assert.equal(back.fp8Dequantized, targets.size);
    let maxErr = 0;
    for (const [name, t] of ck.tensors) {
      const a = tensorToFloat32(t),
        b = tensorToFloat32(back.tensors.get(name)!);
      if (!targets.has(name)) {
        assert.deepEqual(b, a, name);
        continue;
      }
      for (let i = 0; i < a.length; i++) maxErr = Math.max(maxErr, Math.abs(a[i]! - b[i]!));
    }
    assert.equal(maxErr, r.fp8!.maxAbsError);
    // an FP8 checkpoint exports to GGUF through the dequantised weights
    await exportGguf(back, join(out, 'from-fp8.gguf'), { type: 'F32' });
    const g = await readGguf(join(out, 'from-fp8.gguf'));
    assert.deepEqual(
      ggufTensorToFloat32(g.tensors.get('blk.1.attn_q_b.weight')!),
      tensorToFloat32(back.tensors.get('model.layers.1.self_attn.q_b_proj.weight')!),
    );
  });

  it('refuses an unsupported quantization_config and FP8 weights without scales', async () => {
    const src = await tinyV3Checkpoint();
    const out = join(src, 'fp8');
    await writeHfBundle(await loadCheckpoint(src), out, { fp8: true });
    const cfgPath = join(out, 'config.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8'));
    await writeFile(
      cfgPath,
      JSON.stringify({
        ...cfg,
        quantization_config: { quant_method: 'fp8', fmt: 'e5m2', weight_block_size: [128, 128] },
      }),
    );
    await assert.rejects(
      loadCheckpoint(out),
      /"quantization_config" is .*e5m2.*; expected \{"quant_method": "fp8", "fmt": "e4m3"/,
    );
    await writeFile(cfgPath, JSON.stringify({ ...cfg, quantization_config: { quant_method: 'awq', bits: 4 } }));
    await assert.rejects(loadCheckpoint(out), /quantization_config/);
    const { quantization_config: _q, ...plain } = cfg;
    await writeFile(cfgPath, JSON.stringify(plain));
    await assert.rejects(loadCheckpoint(out), /is F8_E4M3 but config\.json has no quantization_config/);
  });
});

describe('dense students', () => {
  it('HF bundle keeps the Qwen2 config; FP8 quantises only the linear layers and loads back', async () => {
    const src = await randomDenseCheckpoint(smallQwen2Json(300), 4);
    const ck = await loadAnyCheckpoint(src);
    assert.equal(ck.kind, 'dense');
    await writeHfBundle(ck, join(src, 'hf'));
    const hf = await loadAnyCheckpoint(join(src, 'hf'));
    assert.deepEqual(hf.config, ck.config);
    for (const [name, t] of ck.tensors) assert.deepEqual(hf.tensors.get(name)!.data, t.data, name);
    const r = await writeHfBundle(ck, join(src, 'fp8'), { fp8: true });
    if (ck.kind !== 'dense') throw new Error('unreachable');
    assert.equal(r.fp8!.quantized, denseFp8TensorNames(ck.config).size);
    const raw = await readSafetensorsCheckpoint(join(src, 'fp8'));
    assert.equal(raw.tensors.get('model.layers.0.self_attn.q_proj.weight')!.dtype, 'F8_E4M3');
    assert.equal(raw.tensors.get('model.layers.0.self_attn.q_proj.bias')!.dtype, 'F32');
    const back = await loadAnyCheckpoint(join(src, 'fp8'));
    assert.equal(back.fp8Dequantized, r.fp8!.quantized);
    const cfgPath = join(src, 'fp8', 'config.json');
    const cfg = JSON.parse(await readFile(cfgPath, 'utf8'));
    await writeFile(cfgPath, JSON.stringify({ ...cfg, quantization_config: { quant_method: 'gptq' } }));
    await assert.rejects(
      loadAnyCheckpoint(join(src, 'fp8')),
      /"quantization_config" is \{"quant_method":"gptq"\}; expected \{"quant_method": "fp8"/,
    );
  });
});

describe('bad checkpoints', () => {
  it('a truncated safetensors file is reported by name', async () => {
    const src = await tinyV3Checkpoint();
    const path = join(src, 'model.safetensors');
    await truncate(path, (await stat(path)).size - 100);
    await assert.rejects(
      loadCheckpoint(src),
      (err: Error) => err.message.includes('model.safetensors') && /truncat|end|size|bytes/i.test(err.message),
    );
  });
});
