/**
 * deepseek2 GGUF import (src/models/deepseek-v3/gguf-import.ts): the tiny-v3 reference checkpoint
 * (MLA with q LoRA, YaRN, DeepSeekMoE with noaux_tc routing and a shared expert, one dense layer)
 * exported by this project's exporter comes back with its config and every weight exactly (F32)
 * or as the dequantized block values (Q8_0), and gives the folder's logits; the pre-2025 layout
 * (one attn_kv_b) reads the same; the eval opener takes the file; bad files name what is wrong.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { join } from 'node:path';
import { loadCheckpoint } from '../../src/export/checkpoint.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { gguf } from '../../src/io/gguf-format.js';
import { readGguf, writeGguf } from '../../src/io/gguf.js';
import { dequantize, quantizer } from '../../src/io/quant-blocks.js';
import { tensorToFloat32 } from '../../src/io/safetensors.js';
import { openModel } from '../../src/eval/open-model.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { disposeParams, loadParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { type DeepseekV3Config, readDeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { joinKvB, loadDeepseekGguf } from '../../src/models/deepseek-v3/gguf-import.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { splitKvB } from '../../src/export/gguf-deepseek2.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { tinyV3Checkpoint } from '../export/fixtures.js';

const e = new Engine(createReferenceBackend(1 << 26));
const TOKENS = [3, 17, 200, 42, 7, 99, 150, 1];

function logits(m: DeepseekV3): Float32Array {
  return e.noGrad(() =>
    e.scope(() => m.forward(e.tensor(TOKENS, [1, TOKENS.length], 'i32')).logits.toArray()),
  ) as Float32Array;
}

describe('deepseek2 GGUF import', () => {
  let dir: string, config: DeepseekV3Config, folder: Awaited<ReturnType<typeof loadParams>>, want: Float32Array;
  before(async () => {
    dir = await tinyV3Checkpoint();
    ({ config } = await readDeepseekV3Config(join(dir, 'config.json')));
    folder = await loadParams(e, config, dir);
    want = logits(new DeepseekV3(e, config, folder.params));
  });

  it("F32: the config and every weight come back exactly, and the logits are the folder's", async () => {
    await exportGguf(await loadCheckpoint(dir), join(dir, 'f32.gguf'), { type: 'F32' });
    const g = await loadDeepseekGguf(e, join(dir, 'f32.gguf'));
    for (const k of [
      'hidden_size',
      'num_hidden_layers',
      'kv_lora_rank',
      'q_lora_rank',
      'qk_nope_head_dim',
      'qk_rope_head_dim',
      'v_head_dim',
      'n_routed_experts',
      'n_shared_experts',
      'num_experts_per_tok',
      'first_k_dense_replace',
      'topk_method',
      'scoring_func',
      'norm_topk_prob',
      'routed_scaling_factor',
      'rope_theta',
    ] as const)
      assert.deepEqual(g.config[k], config[k], k);
    assert.equal(g.config.num_nextn_predict_layers, 0, 'MTP modules are not in the file');
    assert.equal(g.config.rope_scaling?.factor, config.rope_scaling?.factor);
    assert.ok(Math.abs(g.config.rope_scaling!.mscale_all_dim - config.rope_scaling!.mscale_all_dim) < 1e-6);
    assert.equal(g.params.size > 0, true);
    for (const [name, p] of g.params) assert.deepEqual(p.toArray(), folder.params.get(name)!.toArray(), name);
    const got = logits(new DeepseekV3(e, g.config, g.params));
    let d = 0;
    for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
    assert.ok(d < 1e-5, `max |logit diff| ${d}`);
    disposeParams(g.params);
  });

  it('Q8_0: matrices are the dequantized blocks; norms and the router stay exact', async () => {
    await exportGguf(await loadCheckpoint(dir), join(dir, 'q8.gguf'), { type: 'Q8_0' });
    const g = await loadDeepseekGguf(e, join(dir, 'q8.gguf'));
    const ck = await loadCheckpoint(dir);
    const name = 'model.layers.1.mlp.experts.2.up_proj.weight';
    const hf = tensorToFloat32(ck.tensors.get(name)!);
    assert.deepEqual(g.params.get(name)!.toArray(), dequantize('Q8_0', quantizer('Q8_0')(hf), hf.length));
    assert.deepEqual(
      g.params.get('model.layers.1.mlp.gate.weight')!.toArray(),
      tensorToFloat32(ck.tensors.get('model.layers.1.mlp.gate.weight')!),
    );
    disposeParams(g.params);
  });

  it('the pre-2025 layout (one attn_kv_b, per-head sizes in key_length / value_length) reads the same', async () => {
    const f = await readGguf(join(dir, 'f32.gguf'));
    const H = config.num_attention_heads,
      r = config.kv_lora_rank,
      nope = config.qk_nope_head_dim,
      v = config.v_head_dim,
      a = 'deepseek2';
    const meta = new Map(f.metadata);
    meta.set(`${a}.attention.key_length`, gguf.u32(nope + config.qk_rope_head_dim));
    meta.set(`${a}.attention.value_length`, gguf.u32(v));
    meta.delete(`${a}.attention.key_length_mla`);
    meta.delete(`${a}.attention.value_length_mla`);
    const tensors = [...f.tensors.values()].flatMap((t) => {
      const m = /^blk\.(\d+)\.attn_k_b\.weight$/.exec(t.name);
      if (/attn_v_b/.test(t.name)) return [];
      if (!m) return [t];
      const kB = new Float32Array(t.data.buffer.slice(t.data.byteOffset, t.data.byteOffset + t.data.byteLength));
      const vt = f.tensors.get(`blk.${m[1]}.attn_v_b.weight`)!;
      const vB = new Float32Array(vt.data.buffer.slice(vt.data.byteOffset, vt.data.byteOffset + vt.data.byteLength));
      const kv = joinKvB(kB, vB, H, nope, v, r);
      return [
        {
          name: `blk.${m[1]}.attn_kv_b.weight`,
          type: 'F32' as const,
          shape: [H * (nope + v), r],
          data: new Uint8Array(kv.buffer),
        },
      ];
    });
    await writeGguf(join(dir, 'old.gguf'), meta, tensors);
    const g = await loadDeepseekGguf(e, join(dir, 'old.gguf'));
    const k = 'model.layers.0.self_attn.kv_b_proj.weight';
    assert.deepEqual(g.params.get(k)!.toArray(), folder.params.get(k)!.toArray());
    assert.equal(g.config.qk_nope_head_dim, nope);
    disposeParams(g.params);
  });

  it("joinKvB inverts the exporter's split", () => {
    const rng = new Rng(1),
      H = 3,
      nope = 4,
      v = 5,
      r = 6;
    const kv = Float32Array.from({ length: H * (nope + v) * r }, () => rng.normal());
    const { kB, vB } = splitKvB(kv, H, nope, v, r);
    assert.deepEqual(joinKvB(kB, vB, H, nope, v, r), kv);
  });

  it('the eval opener samples from a deepseek2 file', async () => {
    const m = await openModel(e, join(dir, 'f32.gguf'));
    assert.equal(m.modelType, 'deepseek_v3');
    const groups = await m.sampler(
      [[1, 2, 3]],
      2,
      { temperature: 0, topP: 1, topK: 0, maxNewTokens: 4, stopTokens: [] },
      new Rng(1),
    );
    assert.equal(groups[0]!.completions.length, 2);
    assert.equal(groups[0]!.completions[0]!.length, 4);
    m.dispose();
  });

  it('bad files name what is wrong: a shape against the metadata, a missing key', async () => {
    const f = await readGguf(join(dir, 'f32.gguf'));
    const meta = new Map(f.metadata);
    meta.set('deepseek2.attention.kv_lora_rank', gguf.u32(config.kv_lora_rank + 1));
    await writeGguf(join(dir, 'bad-shape.gguf'), meta, [...f.tensors.values()]);
    await assert.rejects(
      loadDeepseekGguf(e, join(dir, 'bad-shape.gguf')),
      /bad-shape\.gguf: tensor "blk\.0\.attn_kv_a_mqa\.weight" has shape/,
    );
    const meta2 = new Map(f.metadata);
    meta2.delete('deepseek2.expert_count');
    await writeGguf(join(dir, 'no-key.gguf'), meta2, [...f.tensors.values()]);
    await assert.rejects(
      loadDeepseekGguf(e, join(dir, 'no-key.gguf')),
      /metadata "deepseek2\.expert_count" is missing/,
    );
  });
});
