/**
 * DeepSeek-V3 config.json parsing: the shared reference configs, defaults, every kind of bad input
 * (errors name the key, the value and the expectation), unknown-key warnings, YaRN and
 * transformers-v5 rope_parameters, and the config.json round trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_SMALL_JSON, REFERENCE_ROOT } from '../helpers/fixtures.js';
import {
  isMoeLayer,
  parseDeepseekV3Config,
  readDeepseekV3Config,
  toConfigJson,
  writeDeepseekV3Config,
} from '../../src/models/deepseek-v3/config.js';

const REF_ROOT = REFERENCE_ROOT;
const BENCH = BENCH_SMALL_JSON;
const refDirs = readdirSync(REF_ROOT).filter((d) => existsSync(join(REF_ROOT, d, 'config.json')));

/** The smallest valid config: only the required keys. */
function minimal(): Record<string, unknown> {
  return {
    model_type: 'deepseek_v3',
    vocab_size: 64,
    hidden_size: 32,
    intermediate_size: 48,
    moe_intermediate_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    n_shared_experts: 1,
    n_routed_experts: 16,
    num_experts_per_tok: 2,
    first_k_dense_replace: 1,
    kv_lora_rank: 8,
    q_lora_rank: 16,
    qk_rope_head_dim: 4,
    qk_nope_head_dim: 8,
    v_head_dim: 8,
  };
}

function errorOf(raw: Record<string, unknown>): string {
  try {
    parseDeepseekV3Config(raw, 'cfg.json');
  } catch (err) {
    return (err as Error).message;
  }
  assert.fail('expected the config to be rejected');
}

test('every reference config and the bench config parse without warnings', async () => {
  assert.ok(refDirs.includes('tiny-v3'), `no reference cases under ${REF_ROOT}`);
  for (const d of refDirs) {
    const { config, warnings } = await readDeepseekV3Config(join(REF_ROOT, d, 'config.json'));
    assert.deepEqual(warnings, [], d);
    const raw = JSON.parse(readFileSync(join(REF_ROOT, d, 'config.json'), 'utf8')) as Record<string, unknown>;
    for (const k of [
      'hidden_size',
      'kv_lora_rank',
      'q_lora_rank',
      'n_group',
      'num_nextn_predict_layers',
      'first_k_dense_replace',
    ]) {
      assert.equal(config[k as keyof typeof config], raw[k], `${d}: ${k}`);
    }
  }
  const tiny = (await readDeepseekV3Config(join(REF_ROOT, 'tiny-v3', 'config.json'))).config;
  assert.deepEqual(tiny.rope_scaling, {
    type: 'yarn',
    factor: 4,
    original_max_position_embeddings: 16,
    beta_fast: 32,
    beta_slow: 1,
    mscale: 1,
    mscale_all_dim: 1,
  });
  assert.equal(tiny.torch_dtype, 'float32');
  const bench = await readDeepseekV3Config(BENCH);
  assert.deepEqual(bench.warnings, []);
  assert.equal(bench.config.rope_scaling, null);
});

test('missing optional keys take the DeepSeek defaults', () => {
  const c = parseDeepseekV3Config(minimal()).config;
  assert.equal(c.routed_scaling_factor, 2.5);
  assert.equal(c.topk_method, 'noaux_tc');
  assert.equal(c.scoring_func, 'sigmoid');
  assert.equal(c.n_group, 8);
  assert.equal(c.topk_group, 4);
  assert.equal(c.norm_topk_prob, true);
  assert.equal(c.moe_layer_freq, 1);
  assert.equal(c.num_nextn_predict_layers, 0);
  assert.equal(c.num_key_value_heads, 2, 'defaults to num_attention_heads');
  assert.equal(c.hidden_act, 'silu');
  assert.equal(c.max_position_embeddings, 4096);
  assert.equal(c.rms_norm_eps, 1e-6);
  assert.equal(c.rope_theta, 10000);
  assert.equal(c.rope_scaling, null);
  assert.equal(c.tie_word_embeddings, false);
  assert.equal(c.attention_bias, false);
  assert.equal(c.initializer_range, 0.02);
  assert.equal(c.pad_token_id, null);
  assert.equal(c.bos_token_id, 0);
  assert.equal(c.eos_token_id, 1);
  assert.equal('torch_dtype' in c, false);
});

test('missing or wrongly typed required keys name the key, the value and the expectation', () => {
  const noKv = minimal();
  delete noKv.kv_lora_rank;
  assert.match(
    errorOf(noKv),
    /^cfg\.json: invalid DeepSeek-V3 config: "kv_lora_rank" is missing; expected a positive integer \(rank of the compressed KV latent c/,
  );
  const noQ = minimal();
  delete noQ.q_lora_rank;
  assert.match(errorOf(noQ), /"q_lora_rank" is missing; expected a positive integer or null/);
  assert.match(errorOf({ ...minimal(), hidden_size: '32' }), /"hidden_size" is "32"; expected a positive integer/);
  assert.match(errorOf({ ...minimal(), hidden_size: 32.5 }), /"hidden_size" is 32\.5; expected a positive integer/);
  assert.match(
    errorOf({ ...minimal(), num_hidden_layers: 0 }),
    /"num_hidden_layers" is 0; expected a positive integer/,
  );
  assert.match(errorOf({ ...minimal(), norm_topk_prob: 'yes' }), /"norm_topk_prob" is "yes"; expected true or false/);
  assert.match(errorOf({ ...minimal(), rms_norm_eps: -1 }), /"rms_norm_eps" is -1; expected a positive finite number/);
  assert.match(errorOf({ ...minimal(), eos_token_id: [1, 'x'] }), /"eos_token_id" is \[1,"x"\]/);
  assert.throws(() => parseDeepseekV3Config([1], 'cfg.json'), /cfg\.json: config is \[1\]; expected a JSON object/);
});

test('unsupported values are errors naming the allowed ones', () => {
  assert.match(
    errorOf({ ...minimal(), scoring_func: 'relu' }),
    /"scoring_func" is "relu"; expected one of "sigmoid", "softmax"/,
  );
  assert.match(errorOf({ ...minimal(), hidden_act: 'gelu' }), /"hidden_act" is "gelu"; expected one of "silu"/);
  assert.match(
    errorOf({ ...minimal(), topk_method: 'random' }),
    /"topk_method" is "random"; expected one of "noaux_tc", "greedy", "group_limited_greedy"/,
  );
  assert.match(
    errorOf({ ...minimal(), model_type: 'llama' }),
    /"model_type" is "llama"; expected one of "deepseek_v3", "deepseek_v2"/,
  );
  assert.match(
    errorOf({ ...minimal(), rope_scaling: { type: 'linear', factor: 2 } }),
    /"rope_scaling\.type" is "linear"; expected "yarn"/,
  );
  assert.match(
    errorOf({ ...minimal(), rope_scaling: { type: 'yarn' } }),
    /"rope_scaling\.factor" is missing; expected a positive finite number/,
  );
  assert.match(errorOf({ ...minimal(), rope_scaling: 3 }), /"rope_scaling" is 3; expected null or an object/);
  assert.match(
    errorOf({ ...minimal(), quantization_config: { quant_method: 'gptq' } }),
    /"quantization_config" is .*expected \{"quant_method": "fp8"/,
  );
});

test('inconsistent values are errors', () => {
  assert.match(
    errorOf({ ...minimal(), num_experts_per_tok: 17 }),
    /"num_experts_per_tok" is 17; expected at most n_routed_experts \(16\)/,
  );
  assert.match(
    errorOf({ ...minimal(), n_routed_experts: 12, n_group: 8 }),
    /"n_routed_experts" is 12; expected a multiple of n_group \(8\)/,
  );
  assert.match(
    errorOf({ ...minimal(), n_group: 4, topk_group: 5 }),
    /"topk_group" is 5; expected at most n_group \(4\)/,
  );
  assert.match(
    errorOf({ ...minimal(), n_group: 4, topk_group: 1, num_experts_per_tok: 5 }),
    /"num_experts_per_tok" is 5; expected at most topk_group x experts per group = 1 x 4 = 4/,
  );
  assert.match(
    errorOf({ ...minimal(), n_routed_experts: 8, n_group: 8, topk_group: 4 }),
    /noaux_tc ranks groups by their top-2 scores/,
  );
  assert.match(
    errorOf({ ...minimal(), bos_token_id: 64 }),
    /"bos_token_id" is 64; expected a token id below vocab_size \(64\)/,
  );
  assert.match(
    errorOf({ ...minimal(), rope_scaling: { type: 'yarn', factor: 4, beta_fast: 1, beta_slow: 32 } }),
    /beta_fast" is 1 but beta_slow is 32/,
  );
  // Greedy routing ignores groups, but a config must still divide evenly; n_group 1 is the V2 way.
  assert.doesNotThrow(() =>
    parseDeepseekV3Config({ ...minimal(), topk_method: 'greedy', scoring_func: 'softmax', n_group: 1, topk_group: 1 }),
  );
});

test('all problems are reported together', () => {
  const raw = { ...minimal(), scoring_func: 'x', hidden_size: -1 };
  delete (raw as Record<string, unknown>).v_head_dim;
  const msg = errorOf(raw);
  for (const key of ['"scoring_func"', '"hidden_size"', '"v_head_dim"'])
    assert.ok(msg.includes(key), `${key} in ${msg}`);
});

test('unknown keys give one warning; known bookkeeping keys none', () => {
  const { warnings } = parseDeepseekV3Config(
    {
      ...minimal(),
      foo: 1,
      bar: 2,
      architectures: ['X'],
      transformers_version: '4.33',
      rope_scaling: { type: 'yarn', factor: 2, extra: 1 },
    },
    'cfg.json',
  );
  assert.deepEqual(warnings, ['cfg.json: ignoring 3 unknown keys: foo, bar, rope_scaling.extra']);
});

test('YaRN via rope_type, defaults, and transformers-v5 rope_parameters', () => {
  const a = parseDeepseekV3Config({ ...minimal(), rope_scaling: { rope_type: 'yarn', factor: 40 } }).config
    .rope_scaling!;
  assert.deepEqual(a, {
    type: 'yarn',
    factor: 40,
    original_max_position_embeddings: 4096,
    beta_fast: 32,
    beta_slow: 1,
    mscale: 1,
    mscale_all_dim: 0,
  });
  const v5 = parseDeepseekV3Config({
    ...minimal(),
    rope_parameters: { rope_type: 'yarn', rope_theta: 50000, factor: 8, mscale_all_dim: 0.707 },
  }).config;
  assert.equal(v5.rope_theta, 50000);
  assert.equal(v5.rope_scaling!.factor, 8);
  assert.equal(v5.rope_scaling!.mscale_all_dim, 0.707);
  const plain = parseDeepseekV3Config({
    ...minimal(),
    rope_parameters: { rope_type: 'default', rope_theta: 1e6 },
  }).config;
  assert.equal(plain.rope_scaling, null);
  assert.equal(plain.rope_theta, 1e6);
});

test('config.json round trip through toConfigJson and a file', async () => {
  const c = parseDeepseekV3Config({
    ...minimal(),
    q_lora_rank: null,
    eos_token_id: [1, 2],
    rope_scaling: { type: 'yarn', factor: 4 },
  }).config;
  const json = toConfigJson(c);
  assert.deepEqual(json.architectures, ['DeepseekV3ForCausalLM']);
  assert.deepEqual(parseDeepseekV3Config(json).config, c);
  const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
  await writeDeepseekV3Config(join(dir, 'config.json'), c);
  const back = await readDeepseekV3Config(join(dir, 'config.json'));
  assert.deepEqual(back.config, c);
  assert.deepEqual(back.warnings, []);
  await writeFile(join(dir, 'bad.json'), '{"vocab_size": ');
  await assert.rejects(readDeepseekV3Config(join(dir, 'bad.json')), /bad\.json: cannot read config\.json/);
});

test('isMoeLayer follows first_k_dense_replace and moe_layer_freq', () => {
  const c = parseDeepseekV3Config({ ...minimal(), num_hidden_layers: 6, first_k_dense_replace: 2 }).config;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((l) => isMoeLayer(c, l)),
    [false, false, true, true, true, true],
  );
  const f = parseDeepseekV3Config({
    ...minimal(),
    num_hidden_layers: 6,
    first_k_dense_replace: 1,
    moe_layer_freq: 2,
  }).config;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5].map((l) => isMoeLayer(f, l)),
    [false, false, true, false, true, false],
  );
});
