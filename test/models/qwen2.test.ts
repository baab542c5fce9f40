/**
 * The dense Qwen2 student against golden data from an independent float64 NumPy implementation of
 * Hugging Face's Qwen2 (scripts/golden/qwen2_reference.py): logits, loss, cached decode, errors.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import { readSafetensors, tensorToFloat32 } from '../../src/io/safetensors.js';
import {
  DenseModel,
  initDenseParams,
  loadDenseParams,
  parseDenseConfig,
  readDenseConfig,
  saveDenseCheckpoint,
} from '../../src/models/qwen2/index.js';
import { Rng } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR = fileURLToPath(new URL('../../../test/fixtures/qwen2-tiny/', import.meta.url));

forEachBackend((_name, engine) => {
  it('logits and loss match the NumPy reference', async () => {
    const e = engine();
    const { config } = await readDenseConfig(join(DIR, 'config.json'));
    const { params } = await loadDenseParams(e, config, DIR);
    const ref = await readSafetensors(join(DIR, 'reference.safetensors'));
    const tokens = ref.tensors.get('tokens')!,
      want = tensorToFloat32(ref.tensors.get('logits')!);
    const model = new DenseModel(e, config, params);
    e.scope(() => {
      const ids = e.tensor(Array.from(tokens.data as Int32Array), tokens.shape, 'i32');
      const got = model.forward(ids).toArray();
      let maxDiff = 0;
      for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
      assert.ok(maxDiff < 1e-4, `max |logit diff| ${maxDiff}`);
      const loss = model.loss(ids).item(),
        wantLoss = (ref.tensors.get('loss')!.data as Float64Array)[0]!;
      assert.ok(Math.abs(loss - wantLoss) < 1e-5, `loss ${loss} vs ${wantLoss}`);
    });
    model.dispose();
    for (const p of params.values()) p.dispose();
  });

  it('prefill + one-token decode on the KV cache equals the full pass', async () => {
    const e = engine();
    const { config } = await readDenseConfig(join(DIR, 'config.json'));
    const { params } = await loadDenseParams(e, config, DIR);
    const model = new DenseModel(e, config, params);
    e.noGrad(() =>
      e.scope(() => {
        const seq = [3, 14, 15, 9, 26, 5, 35, 8],
          T = seq.length;
        const full = model.forward(e.tensor([...seq, ...seq.slice().reverse()], [2, T], 'i32')).toArray();
        const cache = model.createCache(2, 16);
        const rows = [seq, seq.slice().reverse()];
        model.step(
          cache,
          e.tensor(
            rows.flatMap((r) => r.slice(0, 5)),
            [2, 5],
            'i32',
          ),
        );
        for (let t = 5; t < T; t++) {
          const step = model
            .step(
              cache,
              e.tensor(
                rows.map((r) => r[t]!),
                [2, 1],
                'i32',
              ),
            )
            .toArray(); // (2, 1, V)
          const V = config.vocab_size;
          for (let b = 0; b < 2; b++)
            for (let j = 0; j < V; j++) {
              const d = Math.abs(step[b * V + j]! - full[(b * T + t) * V + j]!);
              assert.ok(d < 1e-4, `b${b} t${t} v${j}: decode differs by ${d}`);
            }
        }
        cache.dispose();
      }),
    );
    model.dispose();
    for (const p of params.values()) p.dispose();
  });
});

it('gradients of the loss match finite differences on sampled weights', async () => {
  const { createReferenceBackend } = await import('../../src/kernels/index.js');
  const { Engine } = await import('../../src/tensor/index.js');
  const e = new Engine(createReferenceBackend());
  const { config } = parseDenseConfig({
    model_type: 'qwen2',
    vocab_size: 11,
    hidden_size: 8,
    intermediate_size: 12,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 16,
  });
  const params = initDenseParams(e, config, new Rng(3));
  for (const p of params.values()) {
    const d = p.toArray();
    for (let i = 0; i < d.length; i++) d[i] = d[i]! * 10 + 0.05 * Math.sin(i);
    e.backend.f32().set(d, p.ptr >>> 2);
  }
  const model = new DenseModel(e, config, params);
  const tokens = e.keep(e.tensor([1, 4, 7, 2, 9, 3], [1, 6], 'i32'));
  const lossOf = () => e.scope(() => model.loss(tokens).item());
  e.scope(() => model.loss(tokens).backward());
  for (const key of [
    'model.layers.0.self_attn.k_proj.weight',
    'model.layers.0.self_attn.q_proj.bias',
    'model.layers.0.mlp.down_proj.weight',
    'model.embed_tokens.weight',
  ]) {
    const p = params.get(key)!,
      g = p.grad!.toArray(),
      f = e.backend.f32();
    for (const i of [0, Math.floor(p.size / 2), p.size - 1]) {
      const at = (p.ptr >>> 2) + i,
        orig = f[at]!,
        h = 1e-3;
      f[at] = orig + h;
      const lp = lossOf();
      f[at] = orig - h;
      const lm = lossOf();
      f[at] = orig;
      const num = (lp - lm) / (2 * h);
      assert.ok(
        Math.abs(num - g[i]!) < 2e-3 + 3e-2 * Math.abs(num),
        `${key}[${i}]: analytic ${g[i]} vs numeric ${num}`,
      );
    }
  }
});

it('bad input: config, checkpoint and token errors name what is wrong', async () => {
  assert.throws(
    () =>
      parseDenseConfig({
        model_type: 'qwen2',
        vocab_size: 8,
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
      }),
    /"intermediate_size" is missing/,
  );
  assert.throws(() => parseDenseConfig({ model_type: 'gpt2' }), /"model_type" must be "qwen2" or "llama"/);
  assert.throws(
    () =>
      parseDenseConfig({
        model_type: 'llama',
        vocab_size: 8,
        hidden_size: 8,
        intermediate_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 3,
        num_key_value_heads: 2,
      }),
    /multiple of "num_key_value_heads"/,
  );
  const { createReferenceBackend } = await import('../../src/kernels/index.js');
  const { Engine } = await import('../../src/tensor/index.js');
  const e = new Engine(createReferenceBackend());
  const { config } = parseDenseConfig({
    model_type: 'llama',
    vocab_size: 8,
    hidden_size: 8,
    intermediate_size: 8,
    num_hidden_layers: 1,
    num_attention_heads: 2,
  });
  const params = initDenseParams(e, config, new Rng(1));
  const dir = mkdtempSync(join(tmpdir(), 'dense-'));
  try {
    await saveDenseCheckpoint(dir, config, params);
    const round = await loadDenseParams(e, config, dir);
    assert.deepEqual(
      Array.from(round.params.get('lm_head.weight')!.toArray()),
      Array.from(params.get('lm_head.weight')!.toArray()),
    );
    const wider = parseDenseConfig({ ...config, hidden_size: 16, head_dim: 8 }).config;
    await assert.rejects(
      loadDenseParams(e, wider, dir),
      /"model.embed_tokens.weight" has shape \[8, 8\]; expected \[8, 16\]/,
    );
    const model = new DenseModel(e, config, params);
    assert.throws(
      () => e.scope(() => model.forward(e.tensor([1, 8], [1, 2], 'i32'))),
      /id 8 at position 1 is out of range/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
