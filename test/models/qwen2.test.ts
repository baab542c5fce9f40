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

  it('packed rows on the slot KV cache (prefill, ragged chunks, decode, fork, rollback) equal the full pass', async () => {
    const e = engine();
    const { config } = await readDenseConfig(join(DIR, 'config.json'));
    const { params } = await loadDenseParams(e, config, DIR);
    const model = new DenseModel(e, config, params);
    const V = config.vocab_size;
    const seqs = [
      [3, 14, 15, 9, 26, 5, 35, 8],
      [8, 35, 5, 26, 9, 15, 14, 3],
      [2, 7, 1, 8, 28, 18, 28, 4],
    ];
    const T = 8;
    e.noGrad(() =>
      e.scope(() => {
        const full = model.forward(e.tensor(seqs.flat(), [3, T], 'i32')).toArray(); // (3, T, V)
        const cache = model.createCache(4, 16);
        const at = new Array<number>(4).fill(0); // tokens of seqs[s] cached in slot s
        /** One packed call; checks every returned row against the full pass at its positions. */
        const call = (rows: Array<{ slot: number; seq: number; n: number }>) => {
          const picks: number[] = [],
            want: Array<[number, number]> = [];
          let off = 0;
          for (const r of rows) {
            for (let j = 0; j < r.n; j++) {
              picks.push(off + j);
              want.push([r.seq, at[r.slot]! + j]);
            }
            off += r.n;
          }
          const out = model.stepRows(
            cache,
            rows.map((r) => ({ slot: r.slot, tokens: seqs[r.seq]!.slice(at[r.slot], at[r.slot]! + r.n) })),
            picks,
          );
          const got = out.logits.toArray(); // (P, V)
          assert.equal(
            out.batch.uniform,
            rows.every((r, i) => r.slot === i && r.n === rows[0]!.n && at[r.slot] === at[rows[0]!.slot]),
          );
          want.forEach(([s, t], k) => {
            for (let j = 0; j < V; j++) {
              const d = Math.abs(got[k * V + j]! - full[(s * T + t) * V + j]!);
              assert.ok(d < 1e-4, `seq ${s} position ${t} id ${j}: packed step differs by ${d}`);
            }
          });
          for (const r of rows) at[r.slot] += r.n;
          assert.deepEqual(Array.from(cache.lengths).slice(0, 3), at.slice(0, 3));
        };
        call([
          { slot: 0, seq: 0, n: 3 },
          { slot: 1, seq: 1, n: 3 },
        ]); // uniform prefill
        call([
          { slot: 1, seq: 1, n: 1 },
          { slot: 0, seq: 0, n: 2 },
          { slot: 2, seq: 2, n: 4 },
        ]); // ragged: out of slot order, three lengths, three starts
        call([
          { slot: 0, seq: 0, n: 1 },
          { slot: 1, seq: 1, n: 1 },
          { slot: 2, seq: 2, n: 1 },
        ]); // one-token decode rows at different positions
        // fork slot 2 into slot 3 (a copy of its 5 rows), roll slot 0 back by two tokens
        cache.copySlot(2, 3);
        at[3] = at[2]!;
        cache.truncate(0, at[0]! - 2);
        at[0]! -= 2;
        call([
          { slot: 3, seq: 2, n: 3 },
          { slot: 0, seq: 0, n: 2 },
        ]);
        assert.throws(() => cache.pack([0], [20]), /overflow the cache of 16/);
        assert.throws(() => cache.pack([0, 0], [1, 1]), /out of range .* or repeated/);
        assert.throws(() => model.stepRows(cache, [{ slot: 1, tokens: [1] }], [1]), /picks must be/);
        cache.dispose();
      }),
    );
    model.dispose();
    for (const p of params.values()) p.dispose();
  });

  it('a pass without a gradient tape keeps no layer activations and gives the taped logits', async () => {
    const e = engine();
    const { config } = await readDenseConfig(join(DIR, 'config.json'));
    const { params } = await loadDenseParams(e, config, DIR);
    const model = new DenseModel(e, config, params);
    const [B, T, D, V] = [2, 16, config.hidden_size, config.vocab_size];
    const ids = Array.from({ length: B * T }, (_, i) => (i * 7 + 3) % V);
    e.scope(() => {
      const taped = model.forward(e.tensor(ids, [B, T], 'i32')).toArray();
      e.noGrad(() =>
        e.scope(() => {
          const before = e.liveBytes;
          const logits = model.forward(e.tensor(ids, [B, T], 'i32')); // (B, T, V)
          const grown = e.liveBytes - before;
          // What may outlive the layers: the token ids (and a copy), the embeddings (and a copy), the
          // last layer's output, the final norm and the logits. Kept layer activations would add at
          // least the MLP's three (B, T, 48) products per layer, 36 KB over the two layers.
          const bound = 4 * (2 * B * T + 4 * B * T * D + B * T * V);
          assert.ok(grown <= bound, `a no-grad pass left ${grown} bytes live, more than ${bound}`);
          assert.deepEqual(logits.toArray(), taped);
        }),
      );
    });
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
