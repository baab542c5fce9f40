/**
 * Presets and parameter accounting: the key list against a checkpoint written by DeepSeek's code
 * (test/fixtures/reference tiny-v3), the published figures (V3: 671B total, 36.6B ~ 37B activated, 11.6B
 * MTP, 70,272 cache bytes per token; V2-Lite: 15.7B / 2.4B; bench-small: 6.49M / 2.8M), and the
 * totals against closed-form formulas written independently of the tensor list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { BENCH_SMALL_JSON, TINY_V3_DIR } from '../helpers/fixtures.js';
import { type DeepseekV3Config, parseDeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import { checkCheckpointTensors, checkpointTensors, modelFigures } from '../../src/models/deepseek-v3/params.js';
import { getPreset, presetConfigJson, presetNames } from '../../src/models/deepseek-v3/presets.js';
import { readSafetensorsHeader } from '../../src/io/safetensors.js';

const TINY = TINY_V3_DIR;
const BENCH = BENCH_SMALL_JSON;

/** Total main-model parameters by formula (MLA + dense/MoE MLPs + embedding, norm, head). */
function formulaTotal(c: DeepseekV3Config): number {
  const d = c.hidden_size,
    h = c.num_attention_heads,
    qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
  const q = c.q_lora_rank === null ? d * h * qk : d * c.q_lora_rank + c.q_lora_rank + c.q_lora_rank * h * qk;
  const attn =
    q +
    d * (c.kv_lora_rank + c.qk_rope_head_dim) +
    c.kv_lora_rank +
    c.kv_lora_rank * h * (c.qk_nope_head_dim + c.v_head_dim) +
    h * c.v_head_dim * d;
  const expert = 3 * d * c.moe_intermediate_size;
  const moe =
    c.n_routed_experts * d +
    (c.topk_method === 'noaux_tc' ? c.n_routed_experts : 0) +
    (c.n_routed_experts + c.n_shared_experts) * expert;
  const dense = 3 * d * c.intermediate_size;
  const moeLayers = Array.from(
    { length: c.num_hidden_layers },
    (_, l) => l >= c.first_k_dense_replace && l % c.moe_layer_freq === 0,
  ).filter(Boolean).length;
  const blocks = c.num_hidden_layers * (attn + 2 * d) + moeLayers * moe + (c.num_hidden_layers - moeLayers) * dense;
  return blocks + c.vocab_size * d * (c.tie_word_embeddings ? 1 : 2) + d;
}

test('presets are the shipped config.json values and bench-small matches test/fixtures/bench', () => {
  assert.deepEqual(presetNames(), ['deepseek-v3', 'deepseek-v2-lite', 'bench-small']);
  const v3 = getPreset('deepseek-v3');
  assert.equal(v3.num_hidden_layers, 61);
  assert.equal(v3.hidden_size, 7168);
  assert.equal(v3.num_attention_heads, 128);
  assert.equal(v3.q_lora_rank, 1536);
  assert.equal(v3.kv_lora_rank, 512);
  assert.equal(v3.n_routed_experts, 256);
  assert.equal(v3.n_shared_experts, 1);
  assert.equal(v3.moe_intermediate_size, 2048);
  assert.equal(v3.num_experts_per_tok, 8);
  assert.equal(v3.n_group, 8);
  assert.equal(v3.topk_group, 4);
  assert.equal(v3.first_k_dense_replace, 3);
  assert.equal(v3.vocab_size, 129280);
  assert.equal(v3.num_nextn_predict_layers, 1);
  assert.equal(v3.rope_scaling!.factor, 40);
  assert.deepEqual(v3.quantization_config!.weight_block_size, [128, 128]);
  const lite = getPreset('deepseek-v2-lite');
  assert.equal(lite.q_lora_rank, null);
  assert.equal(lite.scoring_func, 'softmax');
  assert.equal(lite.topk_method, 'greedy');
  assert.equal(lite.n_shared_experts, 2);
  assert.throws(
    () => getPreset('gpt-5'),
    /preset "gpt-5" is unknown; expected one of deepseek-v3, deepseek-v2-lite, bench-small/,
  );
  // Fresh copies: mutating one does not change the next.
  presetConfigJson('bench-small')!.hidden_size = 1;
  assert.equal(getPreset('bench-small').hidden_size, 256);
  const file = JSON.parse(readFileSync(BENCH, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(presetConfigJson('bench-small'), file);
  assert.deepEqual(getPreset('bench-small'), parseDeepseekV3Config(file).config);
});

test('the tensor list equals the keys and shapes of the reference checkpoint', async () => {
  const cfg = parseDeepseekV3Config(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'))).config;
  const header = await readSafetensorsHeader(join(TINY, 'model.safetensors'));
  const fromFile = header.entries.map((e) => `${e.name} ${e.shape.join('x')}`).sort();
  const fromList = checkpointTensors(cfg)
    .map((t) => `${t.name} ${t.shape.join('x')}`)
    .sort();
  assert.deepEqual(fromList, fromFile);
});

test('DeepSeek-V3 figures: 671B total, 36.6B (~37B) activated, 11.6B MTP, 70,272 cache bytes per token', () => {
  const f = modelFigures(getPreset('deepseek-v3'));
  assert.equal(f.total_params, 671_026_419_200);
  assert.equal(Math.round(f.total_params / 1e9), 671);
  assert.equal(f.active_params, 36_625_618_432);
  assert.equal(Math.round(f.active_params / 1e8) / 10, 36.6, 'README_WEIGHTS.md: 36.6B activated');
  assert.equal(Math.round(f.active_params / 1e9), 37, 'V3 report: 37B activated');
  assert.equal(f.head_params, 926_679_040, '0.9B output head, counted as activated');
  assert.equal(f.embedding_params, 926_679_040);
  assert.equal(f.mtp_params, 11_610_068_224);
  assert.equal(Math.round(f.checkpoint_params / 1e9), 684, 'main + MTP + the stored embedding/head copies');
  assert.equal(f.kv_cache_bytes_per_token, 70_272);
  assert.equal(f.mha_kv_cache_bytes_per_token, 61 * 128 * (192 + 128) * 2);
});

test('DeepSeek-V2-Lite and bench-small figures', () => {
  const lite = modelFigures(getPreset('deepseek-v2-lite'));
  assert.equal(lite.total_params, 15_706_484_224); // 15.7B published
  assert.equal(lite.active_params, 2_451_435_008); // 2.4B published
  assert.equal(lite.mtp_params, 0);
  assert.equal(lite.kv_cache_bytes_per_token, 27 * 576 * 2);
  const bench = modelFigures(getPreset('bench-small'));
  assert.equal(Math.round(bench.total_params / 1e4) / 100, 6.49); // the bench config README: 6.49M
  assert.equal(Math.round(bench.active_params / 1e5) / 10, 2.8); // about 2.8M active
});

test('totals equal the closed-form count for varied configs', () => {
  const base = presetConfigJson('bench-small')!;
  const variants: Record<string, unknown>[] = [
    base,
    { ...base, q_lora_rank: null },
    { ...base, tie_word_embeddings: true },
    { ...base, topk_method: 'greedy', scoring_func: 'softmax', n_group: 1, topk_group: 1 },
    { ...base, moe_layer_freq: 2, first_k_dense_replace: 0, n_shared_experts: 0 },
    { ...base, num_nextn_predict_layers: 2 },
  ];
  for (const raw of variants) {
    const cfg = parseDeepseekV3Config(raw).config;
    assert.equal(modelFigures(cfg).total_params, formulaTotal(cfg), JSON.stringify(raw));
  }
  for (const name of presetNames())
    assert.equal(modelFigures(getPreset(name)).total_params, formulaTotal(getPreset(name)), name);
});

test('key list details: q_proj without LoRA, bias only for noaux_tc, attention biases, ties, MTP', () => {
  const names = (raw: Record<string, unknown>): Set<string> =>
    new Set(checkpointTensors(parseDeepseekV3Config(raw).config).map((t) => t.name));
  const base = presetConfigJson('bench-small')!;
  const noLora = names({ ...base, q_lora_rank: null });
  assert.ok(
    noLora.has('model.layers.0.self_attn.q_proj.weight') && !noLora.has('model.layers.0.self_attn.q_a_proj.weight'),
  );
  const greedy = names({ ...base, topk_method: 'greedy' });
  assert.ok(
    !greedy.has('model.layers.1.mlp.gate.e_score_correction_bias') && greedy.has('model.layers.1.mlp.gate.weight'),
  );
  const biased = names({ ...base, attention_bias: true });
  for (const b of ['q_a_proj', 'kv_a_proj_with_mqa', 'o_proj'])
    assert.ok(biased.has(`model.layers.2.self_attn.${b}.bias`), b);
  assert.ok(
    !biased.has('model.layers.2.self_attn.q_b_proj.bias') && !biased.has('model.layers.2.self_attn.kv_b_proj.bias'),
  );

  const tied = checkpointTensors(parseDeepseekV3Config({ ...base, tie_word_embeddings: true }).config);
  assert.equal(tied.find((t) => t.name === 'lm_head.weight')!.sharedWith, 'model.embed_tokens.weight');

  const v3 = checkpointTensors(getPreset('deepseek-v3'));
  const byName = new Map(v3.map((t) => [t.name, t]));
  assert.equal(byName.size, v3.length, 'names are unique');
  assert.deepEqual(byName.get('model.layers.61.eh_proj.weight')!.shape, [7168, 14336]);
  for (const k of ['enorm', 'hnorm', 'shared_head.norm'])
    assert.deepEqual(byName.get(`model.layers.61.${k}.weight`)!.shape, [7168]);
  assert.equal(byName.get('model.layers.61.embed_tokens.weight')!.sharedWith, 'model.embed_tokens.weight');
  assert.equal(byName.get('model.layers.61.shared_head.head.weight')!.sharedWith, 'lm_head.weight');
  assert.ok(byName.get('model.layers.61.mlp.experts.255.down_proj.weight')!.mtp);
  assert.ok(
    byName.has('model.layers.2.mlp.down_proj.weight') && byName.has('model.layers.3.mlp.experts.0.up_proj.weight'),
  );
  assert.ok(!byName.has('model.layers.62.enorm.weight'));
  assert.deepEqual(byName.get('model.layers.3.self_attn.kv_b_proj.weight')!.shape, [128 * 256, 512]);
  assert.deepEqual(byName.get('model.layers.3.mlp.shared_experts.gate_proj.weight')!.shape, [2048, 7168]);
});

test('checkCheckpointTensors names missing tensors, wrong shapes, and warns about extra ones', async () => {
  const cfg = getPreset('bench-small');
  const good = new Map(checkpointTensors(cfg).map((t) => [t.name, { shape: t.shape }]));
  assert.deepEqual(checkCheckpointTensors(cfg, good), []);

  const missing = new Map(good);
  missing.delete('model.layers.1.self_attn.kv_a_layernorm.weight');
  assert.throws(
    () => checkCheckpointTensors(cfg, missing, 'ck'),
    /^Error: ck: 1 tensor does not match the config: "model\.layers\.1\.self_attn\.kv_a_layernorm\.weight" is missing \(expected shape \[64\]\)$/,
  );

  const wrong = new Map(good);
  wrong.set('model.layers.0.self_attn.kv_b_proj.weight', { shape: [512, 32] });
  assert.throws(
    () => checkCheckpointTensors(cfg, wrong, 'ck'),
    /"model\.layers\.0\.self_attn\.kv_b_proj\.weight" has shape \[512, 32\]; expected \[512, 64\]/,
  );

  const extra = new Map(good);
  extra.set('model.layers.4.enorm.weight', { shape: [256] });
  assert.deepEqual(checkCheckpointTensors(cfg, extra, 'ck'), [
    'ck: ignoring 1 tensor the config does not use: model.layers.4.enorm.weight',
  ]);

  // The reference checkpoint passes as it is.
  const tiny = parseDeepseekV3Config(JSON.parse(readFileSync(join(TINY, 'config.json'), 'utf8'))).config;
  const tinyHeader = await readSafetensorsHeader(join(TINY, 'model.safetensors'));
  assert.deepEqual(checkCheckpointTensors(tiny, new Map(tinyHeader.entries.map((e) => [e.name, e]))), []);

  // FP8 checkpoints: weight_scale_inv next to 2-D weights, one scale per block; MTP copies optional.
  const v3 = getPreset('deepseek-v3');
  const fp8 = new Map(
    checkpointTensors(v3)
      .filter((t) => !t.sharedWith)
      .map((t) => [t.name, { shape: t.shape }]),
  );
  fp8.set('model.layers.0.self_attn.kv_b_proj.weight_scale_inv', { shape: [256, 4] });
  assert.deepEqual(checkCheckpointTensors(v3, fp8), []);
  fp8.set('model.layers.0.self_attn.o_proj.weight_scale_inv', { shape: [56, 56] });
  assert.throws(
    () => checkCheckpointTensors(v3, fp8),
    /"model\.layers\.0\.self_attn\.o_proj\.weight_scale_inv" has shape \[56, 56\]; expected \[56, 128\]/,
  );
});
