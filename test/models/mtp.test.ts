/**
 * Multi-token prediction: the MTP loss gradients agree with central finite differences (along a
 * random direction per tensor, float32 engine), the loss is (lambda / D) * sum of module losses,
 * and drafting on a latent cache reproduces the training-path module outputs.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { mtpDraft, mtpLosses } from '../../src/models/deepseek-v3/mtp.js';
import { LatentCache } from '../../src/models/deepseek-v3/cache.js';
import { Rng, slice } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { disposeModel, maxAbsDiff, randomTokens, tinyModel } from './fixtures.js';

// All blocks dense (first_k_dense_replace past the MTP layers) so perturbations cannot flip a route.
const MTP = { num_nextn_predict_layers: 2, first_k_dense_replace: 4, initializer_range: 0.3 };

forEachBackend(
  (_name, engine) => {
    it('MTP loss gradients match central finite differences', (t) => {
      const e = engine(),
        m = tinyModel(e, MTP, 2, { mtpLambda: 1 });
      const tokens = e.keep(randomTokens(e, 2, 8, m.config.vocab_size, 9));
      const mtpOnly = (): number => e.noGrad(() => e.scope(() => m.loss(tokens).mtpLoss!.item()));
      try {
        e.scope(() => m.loss(tokens).mtpLoss!.backward());
        const keys = [
          'model.layers.2.eh_proj.weight',
          'model.layers.3.eh_proj.weight',
          'model.layers.2.enorm.weight',
          'model.layers.3.hnorm.weight',
          'model.layers.2.shared_head.norm.weight',
          'model.layers.3.self_attn.q_a_proj.weight',
          'model.layers.2.mlp.down_proj.weight',
          'model.layers.1.self_attn.kv_b_proj.weight',
          'model.embed_tokens.weight',
          'lm_head.weight',
        ];
        const rng = new Rng(5),
          eps = 2e-3;
        for (const key of keys) {
          const p = m.params.get(key)!,
            at = p.ptr >>> 2,
            n = p.size;
          const g = e.read(p.grad!) as Float32Array;
          const dir = Float32Array.from({ length: n }, () => rng.normal());
          const w0 = Float32Array.from(e.backend.f32().subarray(at, at + n));
          const setW = (s: number): void => {
            const mem = e.backend.f32();
            for (let i = 0; i < n; i++) mem[at + i] = w0[i]! + s * dir[i]!;
          };
          setW(eps);
          const up = mtpOnly();
          setW(-eps);
          const down = mtpOnly();
          setW(0);
          const fd = (up - down) / (2 * eps);
          let an = 0;
          for (let i = 0; i < n; i++) an += g[i]! * dir[i]!;
          t.diagnostic(`${key}: fd ${fd.toFixed(5)} analytic ${an.toFixed(5)}`);
          assert.ok(
            Math.abs(fd - an) <= 2e-2 * Math.abs(an) + 2e-4,
            `${key}: finite difference ${fd} vs analytic ${an}`,
          );
        }
        assert.equal(m.params.get('model.norm.weight')!.grad, null, 'the main final norm does not feed the MTP loss');
      } finally {
        tokens.dispose();
        disposeModel(m);
      }
    });

    it('MTP loss is (lambda / D) times the sum of the module losses, added to the LM loss', () => {
      const e = engine(),
        m = tinyModel(e, MTP, 2, { mtpLambda: 0.3 });
      try {
        e.noGrad(() =>
          e.scope(() => {
            const out = m.loss(randomTokens(e, 2, 8, m.config.vocab_size, 4));
            const mods = out.mtpModuleLosses.map((l) => l.item());
            assert.equal(mods.length, 2);
            assert.ok(Math.abs(out.mtpLoss!.item() - (0.3 / 2) * (mods[0]! + mods[1]!)) < 1e-6);
            assert.ok(Math.abs(out.loss.item() - out.lmLoss.item() - out.mtpLoss!.item()) < 1e-5);
          }),
        );
      } finally {
        disposeModel(m);
      }
    });

    it('drafting on a latent cache reproduces the training-path MTP hidden states', () => {
      const e = engine(),
        m = tinyModel(e, MTP, 3);
      const c = m.config,
        B = 2,
        T = 9;
      try {
        e.noGrad(() =>
          e.scope(() => {
            const tokens = randomTokens(e, B, T, c.vocab_size, 8);
            const f = m.forward(tokens);
            const train = mtpLosses(m, f.hidden, tokens).hiddens[0]!; // (B, T-1, D)
            const cache = m.createCache(B, T),
              mcache = new LatentCache(e, 1, B, T, c.kv_lora_rank + c.qk_rope_head_dim);
            try {
              const h0 = m.step(cache, slice(tokens, 1, 0, 4)).hidden; // prefill 4 tokens
              const parts = [e.read(mtpDraft(m, 1, mcache, h0, slice(tokens, 1, 1, 5)).hidden)];
              for (let t = 4; t < T - 1; t++) {
                const h = m.step(cache, slice(tokens, 1, t, t + 1)).hidden;
                parts.push(e.read(mtpDraft(m, 1, mcache, h, slice(tokens, 1, t + 1, t + 2)).hidden));
              }
              const D = c.hidden_size,
                want = e.read(train) as Float32Array;
              for (let b = 0; b < B; b++) {
                const got: number[] = [];
                parts.forEach((p, j) => {
                  const L = j === 0 ? 4 : 1;
                  got.push(...p.subarray(b * L * D, (b + 1) * L * D));
                });
                const d = maxAbsDiff(got, want.subarray(b * (T - 1) * D, (b + 1) * (T - 1) * D));
                assert.ok(d < 1e-4, `row ${b}: ${d}`);
              }
              assert.throws(() => mtpDraft(m, 3, mcache, h0, slice(tokens, 1, 0, 4)), /module 3 does not exist/);
            } finally {
              cache.dispose();
              mcache.dispose();
            }
          }),
        );
      } finally {
        disposeModel(m);
      }
    });
  },
  ['reference'],
);
