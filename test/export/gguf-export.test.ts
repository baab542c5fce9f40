/**
 * deepseek2 GGUF export: every tensor of the tiny-v3 reference checkpoint comes back exactly from
 * an F32 export (kv_b_proj reassembled from attn_k_b / attn_v_b, experts unstacked), F16 and
 * Q8_0 within their rounding, the metadata llama.cpp reads, the tokenizer metadata, and refusals
 * of configs llama.cpp would misread; dense students as qwen2.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { join } from 'node:path';
import { loadAnyCheckpoint, loadCheckpoint } from '../../src/export/checkpoint.js';
import { qwen2Problems, qwen2TensorName } from '../../src/export/gguf-qwen2.js';
import { parseDenseConfig } from '../../src/models/qwen2/config.js';
import { deepseek2Problems, splitKvB } from '../../src/export/gguf-deepseek2.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { ggufTokenizerMetadata, preTokenizerName } from '../../src/export/gguf-tokenizer.js';
import { ggufMeta, ggufTensorToFloat32, readGguf } from '../../src/io/gguf.js';
import { tensorToFloat32 } from '../../src/io/safetensors.js';
import { parseDeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { getPreset, presetConfigJson } from '../../src/models/deepseek-v3/presets.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { byteTokenizerJson, randomDenseCheckpoint, smallQwen2Json, tinyV3Checkpoint } from './fixtures.js';

describe('deepseek2 GGUF export of tiny-v3', () => {
  it('F32: every weight comes back exactly; metadata is what llama.cpp reads', async () => {
    const dir = await tinyV3Checkpoint();
    const ck = await loadCheckpoint(dir);
    const c = ck.config;
    await exportGguf(ck, join(dir, 'm.gguf'), { type: 'F32' });
    const g = await readGguf(join(dir, 'm.gguf'));
    const get = (n: string): Float32Array => ggufTensorToFloat32(g.tensors.get(n)!);
    const hf = (n: string): Float32Array => tensorToFloat32(ck.tensors.get(n)!);
    assert.deepEqual(get('token_embd.weight'), hf('model.embed_tokens.weight'));
    assert.deepEqual(g.tensors.get('token_embd.weight')!.shape, [c.vocab_size, c.hidden_size]);
    assert.deepEqual(get('output.weight'), hf('lm_head.weight'));
    assert.deepEqual(get('output_norm.weight'), hf('model.norm.weight'));
    const H = c.num_attention_heads,
      r = c.kv_lora_rank,
      nope = c.qk_nope_head_dim,
      v = c.v_head_dim;
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const p = `model.layers.${l}`,
        b = `blk.${l}`;
      assert.deepEqual(get(`${b}.attn_q_a.weight`), hf(`${p}.self_attn.q_a_proj.weight`));
      assert.deepEqual(get(`${b}.attn_q_b.weight`), hf(`${p}.self_attn.q_b_proj.weight`));
      assert.deepEqual(get(`${b}.attn_kv_a_mqa.weight`), hf(`${p}.self_attn.kv_a_proj_with_mqa.weight`));
      // kv_b_proj rebuilt from the split: k_b [H, r, nope] transposed back, v_b [H, v, r]
      const kB = get(`${b}.attn_k_b.weight`),
        vB = get(`${b}.attn_v_b.weight`),
        kvB = hf(`${p}.self_attn.kv_b_proj.weight`);
      assert.deepEqual(g.tensors.get(`${b}.attn_k_b.weight`)!.shape, [H, r, nope]);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < nope; i++)
          for (let j = 0; j < r; j++) assert.equal(kB[(h * r + j) * nope + i], kvB[(h * (nope + v) + i) * r + j]);
        for (let i = 0; i < v; i++)
          for (let j = 0; j < r; j++) assert.equal(vB[(h * v + i) * r + j], kvB[(h * (nope + v) + nope + i) * r + j]);
      }
      if (l < c.first_k_dense_replace) {
        assert.deepEqual(get(`${b}.ffn_gate.weight`), hf(`${p}.mlp.gate_proj.weight`));
        continue;
      }
      assert.deepEqual(get(`${b}.ffn_gate_inp.weight`), hf(`${p}.mlp.gate.weight`));
      assert.deepEqual(get(`${b}.exp_probs_b.bias`), hf(`${p}.mlp.gate.e_score_correction_bias`));
      const down = get(`${b}.ffn_down_exps.weight`),
        n = c.hidden_size * c.moe_intermediate_size;
      assert.deepEqual(g.tensors.get(`${b}.ffn_down_exps.weight`)!.shape, [
        c.n_routed_experts,
        c.hidden_size,
        c.moe_intermediate_size,
      ]);
      for (let e = 0; e < c.n_routed_experts; e++)
        assert.deepEqual(down.subarray(e * n, (e + 1) * n), hf(`${p}.mlp.experts.${e}.down_proj.weight`));
      assert.deepEqual(get(`${b}.ffn_up_shexp.weight`), hf(`${p}.mlp.shared_experts.up_proj.weight`));
    }
    const a = 'deepseek2';
    assert.equal(ggufMeta(g, 'general.architecture'), a);
    assert.equal(ggufMeta(g, `${a}.attention.q_lora_rank`), c.q_lora_rank);
    assert.equal(ggufMeta(g, `${a}.attention.key_length`), r + c.qk_rope_head_dim);
    assert.equal(ggufMeta(g, `${a}.attention.key_length_mla`), nope + c.qk_rope_head_dim);
    assert.equal(ggufMeta(g, `${a}.attention.head_count_kv`), 1);
    assert.equal(ggufMeta(g, `${a}.expert_gating_func`), 2);
    assert.equal(ggufMeta(g, `${a}.expert_weights_norm`), true);
    assert.equal(ggufMeta(g, `${a}.expert_weights_scale`), 2.5);
    assert.equal(ggufMeta(g, `${a}.leading_dense_block_count`), 1);
    assert.equal(ggufMeta(g, `${a}.expert_group_count`), 4);
    assert.equal(ggufMeta(g, `${a}.expert_group_used_count`), 2);
    assert.equal(ggufMeta(g, `${a}.rope.scaling.type`), 'yarn');
    assert.ok(Math.abs((ggufMeta(g, `${a}.rope.scaling.yarn_log_multiplier`) as number) - 0.1) < 1e-7);
    assert.equal(ggufMeta(g, 'tokenizer.ggml.pre'), 'gpt-2');
    assert.equal((ggufMeta(g, 'tokenizer.ggml.tokens') as string[]).length, 256);
  });

  it('F16 and Q8_0 stay within their rounding; norms and the router stay F32', async () => {
    const dir = await tinyV3Checkpoint();
    const ck = await loadCheckpoint(dir);
    for (const [type, rel] of [
      ['F16', 2 ** -11],
      ['Q8_0', 1 / 127],
    ] as const) {
      await exportGguf(ck, join(dir, `${type}.gguf`), { type });
      const g = await readGguf(join(dir, `${type}.gguf`));
      const w = g.tensors.get('blk.0.attn_q_a.weight')!;
      assert.equal(w.type, type);
      assert.equal(g.tensors.get('blk.0.attn_norm.weight')!.type, 'F32');
      assert.equal(g.tensors.get('blk.1.ffn_gate_inp.weight')!.type, 'F32');
      const got = ggufTensorToFloat32(w),
        ref = tensorToFloat32(ck.tensors.get('model.layers.0.self_attn.q_a_proj.weight')!);
      const amax = ref.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
      for (let i = 0; i < ref.length; i++) assert.ok(Math.abs(got[i]! - ref[i]!) <= rel * amax, `${type} element ${i}`);
    }
  });

  it('refuses a missing tokenizer and configs llama.cpp would misread, with the reason', async () => {
    const dir = await tinyV3Checkpoint();
    const ck = await loadCheckpoint(dir);
    await assert.rejects(
      exportGguf(ck, join(dir, 'x.gguf'), { tokenizerDir: '/nonexistent' }),
      /no tokenizer\.json; llama\.cpp needs the vocabulary/,
    );
    const base = presetConfigJson('bench-small')!;
    const cfg = (over: Record<string, unknown>) => parseDeepseekV3Config({ ...base, ...over }).config;
    assert.match(
      deepseek2Problems(cfg({ q_lora_rank: null })).join(),
      /q_lora_rank is null; llama.cpp requires q LoRA/,
    );
    assert.match(
      deepseek2Problems(cfg({ num_hidden_layers: 27 })).join(),
      /27, which llama.cpp reads as a "lite" model/,
    );
    assert.match(deepseek2Problems(cfg({ moe_layer_freq: 2 })).join(), /moe_layer_freq is 2/);
    assert.match(deepseek2Problems(cfg({ attention_bias: true })).join(), /attention_bias/);
    assert.match(
      deepseek2Problems(cfg({ topk_method: 'greedy' })).join(),
      /ranks groups by their max score; llama\.cpp always ranks them by the top-2 sum/,
    );
    assert.deepEqual(deepseek2Problems(cfg({ topk_method: 'greedy', n_group: 1, topk_group: 1 })), []);
    assert.deepEqual(deepseek2Problems(getPreset('bench-small')), []);
    assert.deepEqual(deepseek2Problems(getPreset('deepseek-v3')), []);
    assert.deepEqual(deepseek2Problems(getPreset('deepseek-v2-lite')), []);
  });
});

describe('GGUF tokenizer metadata', () => {
  it('maps a tokenizer trained here: deepseek-v3 pre-tokenizer, control/user-defined types, padding, bos/eos', () => {
    const corpus = ['hello world 123 hello there', 'the world says hello'];
    const tok = trainTokenizer(corpus, { vocabSize: 300 });
    const meta = ggufTokenizerMetadata(tok.tokenizerJson, tok.tokenizerConfig, 320, { bos: 0, eos: 1 });
    const tokens = meta.get('tokenizer.ggml.tokens')!.value as string[];
    const types = meta.get('tokenizer.ggml.token_type')!.value as number[];
    assert.equal(meta.get('tokenizer.ggml.pre')!.value, 'deepseek-v3');
    assert.equal(tokens.length, 320);
    assert.equal(tokens[310], '[PAD310]');
    assert.equal(types[310], 5);
    const bos = tokens.indexOf('<｜begin▁of▁sentence｜>');
    assert.equal(types[bos], 3);
    assert.equal(types[tokens.indexOf('<think>')], 4);
    assert.equal(meta.get('tokenizer.ggml.bos_token_id')!.value, bos);
    assert.equal(meta.get('tokenizer.ggml.eos_token_id')!.value, tokens.indexOf('<｜end▁of▁sentence｜>'));
    assert.ok((meta.get('tokenizer.ggml.merges')!.value as string[]).every((m) => m.split(' ').length === 2));
    assert.equal(typeof meta.get('tokenizer.chat_template')!.value, 'string');
  });

  it('rejects a vocabulary larger than the model and unknown pre-tokenizers', () => {
    assert.throws(
      () => ggufTokenizerMetadata(byteTokenizerJson(300), undefined, 256),
      /id 256; expected 0 <= id < the model's vocab_size 256/,
    );
    assert.throws(
      () => preTokenizerName({ pre_tokenizer: { type: 'Whitespace' } }),
      /matches no llama\.cpp pre-tokenizer/,
    );
    assert.throws(() => ggufTokenizerMetadata({ model: { type: 'Unigram' } }, undefined, 10), /expected "BPE"/);
  });
});

describe('splitKvB', () => {
  it('splits per head into transposed k_nope rows and v rows', () => {
    // H=1, nope=2, v=1, r=3: rows k0, k1, v0 of kv_b
    const { kB, vB } = splitKvB(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]), 1, 2, 1, 3);
    assert.deepEqual(Array.from(kB), [1, 4, 2, 5, 3, 6]); // [r, nope]
    assert.deepEqual(Array.from(vB), [7, 8, 9]);
  });
});

describe('qwen2 GGUF export of a dense student', () => {
  it('names every tensor as llama.cpp qwen2 does and keeps the values exactly (F32)', async () => {
    const dir = await randomDenseCheckpoint(smallQwen2Json(300), 2);
    const ck = await loadAnyCheckpoint(dir);
    assert.equal(ck.kind, 'dense');
    await exportGguf(ck, join(dir, 'q.gguf'), { type: 'F32' });
    const g = await readGguf(join(dir, 'q.gguf'));
    assert.equal(ggufMeta(g, 'general.architecture'), 'qwen2');
    assert.equal(ggufMeta(g, 'qwen2.attention.head_count_kv'), 2);
    for (const [hf, name] of [
      ['model.embed_tokens.weight', 'token_embd.weight'],
      ['lm_head.weight', 'output.weight'],
      ['model.norm.weight', 'output_norm.weight'],
      ['model.layers.1.self_attn.k_proj.bias', 'blk.1.attn_k.bias'],
      ['model.layers.0.self_attn.o_proj.weight', 'blk.0.attn_output.weight'],
      ['model.layers.1.mlp.down_proj.weight', 'blk.1.ffn_down.weight'],
      ['model.layers.0.post_attention_layernorm.weight', 'blk.0.ffn_norm.weight'],
    ]) {
      assert.equal(qwen2TensorName(hf), name);
      assert.deepEqual(ggufTensorToFloat32(g.tensors.get(name)!), tensorToFloat32(ck.tensors.get(hf)!), name);
    }
    assert.equal(g.tensors.size, ck.tensors.size);
  });

  it('refuses students llama.cpp qwen2 cannot hold', () => {
    const cfg = (over: Record<string, unknown>) => parseDenseConfig({ ...smallQwen2Json(300), ...over }).config;
    assert.match(qwen2Problems(cfg({ head_dim: 8 })).join(), /heads x head_dim is 32 but hidden_size is 64/);
    assert.match(qwen2Problems(cfg({ model_type: 'llama', attention_bias: true })).join(), /o_proj bias/);
    assert.deepEqual(qwen2Problems(cfg({})), []);
  });
});
