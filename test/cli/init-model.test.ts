/**
 * `deepseek-ts init-model` and `bench decode --model` as a user runs them: a random Qwen2
 * checkpoint in shards with its index, byte-level tokenizer and generation_config; the same seed
 * gives the same bytes; a DeepSeek-V3 config works too; bad flags name the flag; and the decode
 * bench prints the JSON fields the benchmark page uses, and with --profile the decode steps' kernels
 * (checked on a tiny config, not timed).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { readDeepseekV3Config, toConfigJson } from '../../src/models/deepseek-v3/config.js';
import { getPreset } from '../../src/models/deepseek-v3/presets.js';
import { listCheckpointTensors } from '../../src/io/safetensors-checkpoint.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) =>
  execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000, stdio: 'pipe' });
const dir = mkdtempSync(join(tmpdir(), 'init-model-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const QWEN = {
  model_type: 'qwen2',
  vocab_size: 512,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
  tie_word_embeddings: false,
};

it('writes a sharded random Qwen2 checkpoint that bench decode --model runs', async () => {
  writeFileSync(join(dir, 'qwen.json'), JSON.stringify(QWEN));
  const out = run('init-model', '--config', join(dir, 'qwen.json'), '--out', join(dir, 'a'), '--max-shard-mb', '0');
  assert.match(out, /BF16, seed 0, \d+ shard\(s\), tokenizer byte-level/);
  const files = readdirSync(join(dir, 'a')).sort();
  for (const f of ['config.json', 'generation_config.json', 'model.safetensors.index.json', 'tokenizer.json'])
    assert.ok(files.includes(f), `${f} in ${files}`);
  const tensors = await listCheckpointTensors(join(dir, 'a'));
  assert.equal(tensors.get('model.layers.1.self_attn.k_proj.bias')!.dtype, 'BF16');
  assert.deepEqual(tensors.get('lm_head.weight')!.shape, [512, 64]);
  run('init-model', '--config', join(dir, 'qwen.json'), '--out', join(dir, 'b'), '--max-shard-mb', '0');
  const shard = files.find((f) => f.endsWith('.safetensors'))!;
  assert.ok(readFileSync(join(dir, 'a', shard)).equals(readFileSync(join(dir, 'b', shard))), 'same seed, same bytes');
  // the decode bench on the tiny checkpoint, as JSON (untimed: one thread, 4 prompt and 3 new tokens)
  const benchJson = (...extra: string[]): unknown =>
    JSON.parse(
      run(
        'bench',
        'decode',
        '--model',
        join(dir, 'a'),
        '--batch',
        '1',
        '--prompt',
        '4',
        '--tokens',
        '3',
        '--threads',
        '1',
        '--json',
        ...extra,
      ),
    );
  const r = benchJson() as Record<string, number>;
  for (const k of ['tokens_per_s', 'prefill_tokens_per_s', 'rss_mb', 'weight_gb_per_s', 'bandwidth_probe_gb_per_s'])
    assert.ok(r[k]! > 0, `${k}: ${r[k]}`);
  // --profile: the decode steps' kernels, the products apart by weight shape (BF16 is ggml type 30)
  const p = benchJson('--profile') as { profile: { stats: { kernel: string; calls: number }[]; total_ms: number } };
  const lmHead = p.profile.stats.find((s) => s.kernel === 'quantMatmul type 30 n=512 k=64');
  assert.equal(lmHead?.calls, 2, JSON.stringify(p.profile.stats.map((s) => s.kernel))); // 2 decode steps, one head each
  assert.ok(p.profile.total_ms > 0);
  assert.throws(
    () => run('bench', 'decode', '--model', join(dir, 'a'), '--vs-llama', '--tokens', '3'),
    /--vs-llama needs a GGUF file/,
  );
});

it('writes a DeepSeek-V3 config too, and names a bad --dtype', async () => {
  writeFileSync(join(dir, 'v3.json'), JSON.stringify(toConfigJson(getPreset('bench-small'))));
  run('init-model', '--config', join(dir, 'v3.json'), '--out', join(dir, 'v3'), '--dtype', 'f32');
  const { config } = await readDeepseekV3Config(join(dir, 'v3', 'config.json'));
  assert.equal(config.model_type, 'deepseek_v3');
  const tensors = await listCheckpointTensors(join(dir, 'v3'));
  assert.equal(tensors.get('model.embed_tokens.weight')!.dtype, 'F32');
  assert.throws(
    () => run('init-model', '--config', join(dir, 'qwen.json'), '--out', join(dir, 'c'), '--dtype', 'int4'),
    /--dtype is 'int4'; expected one of BF16, F16, F32/,
  );
});
