/**
 * DeepSeek-V3 model invariants on small random configs (several variants, so the code is not
 * tuned to the reference case): the absorbed attention path equals the training path, incremental
 * decoding equals a full recompute, a batch equals its rows run alone.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeLogits } from '../../src/models/deepseek-v3/check-reference.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { matmul, Rng, slice, transpose, type Tensor } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { disposeModel, maxAbsDiff, randomTokens, tinyModel } from './fixtures.js';

const VARIANTS: [string, Record<string, unknown>][] = [
  ['sigmoid gate, q LoRA, YaRN', {}],
  [
    'softmax gate without bias, q_lora_rank null, no YaRN',
    {
      scoring_func: 'softmax',
      topk_method: 'group_limited_greedy',
      q_lora_rank: null,
      rope_scaling: null,
      norm_topk_prob: false,
    },
  ],
  [
    'one group, tied embeddings, two dense layers',
    { n_group: 1, topk_group: 1, first_k_dense_replace: 2, num_hidden_layers: 3, tie_word_embeddings: true },
  ],
];

forEachBackend(
  (_name, engine) => {
    for (const [label, overrides] of VARIANTS) {
      describe(label, () => {
        it('absorbed latent-cache path equals the training path (prefill of a whole sequence)', () => {
          const e = engine(),
            m = tinyModel(e, overrides);
          try {
            e.noGrad(() =>
              e.scope(() => {
                const tokens = randomTokens(e, 2, 12, m.config.vocab_size);
                const full = e.read(m.forward(tokens).logits);
                const cache = m.createCache(2, 12);
                try {
                  const absorbed = e.read(m.step(cache, tokens).logits);
                  const d = maxAbsDiff(full, absorbed);
                  assert.ok(d < 1e-4, `max abs diff ${d}`);
                } finally {
                  cache.dispose();
                }
              }),
            );
          } finally {
            disposeModel(m);
          }
        });

        it('prefill + one-token decode equals the full forward pass', () => {
          const e = engine(),
            m = tinyModel(e, overrides);
          try {
            e.noGrad(() =>
              e.scope(() => {
                const B = 2,
                  S = 14,
                  P = 5,
                  V = m.config.vocab_size;
                const tokens = randomTokens(e, B, S, V, 3);
                const full = e.read(m.forward(tokens).logits) as Float32Array;
                const dec = decodeLogits(e, m, e.read(tokens) as Int32Array, B, S, P);
                const want = new Float32Array(B * (S - P) * V);
                for (let b = 0; b < B; b++)
                  want.set(full.subarray((b * S + P - 1) * V, (b * S + S - 1) * V), b * (S - P) * V);
                const d = maxAbsDiff(dec, want);
                assert.ok(d < 1e-4, `max abs diff ${d}`);
              }),
            );
          } finally {
            disposeModel(m);
          }
        });

        it('a batch gives the same logits as each sequence alone (forward and decode)', () => {
          const e = engine(),
            m = tinyModel(e, overrides);
          try {
            e.noGrad(() =>
              e.scope(() => {
                const B = 3,
                  S = 9,
                  V = m.config.vocab_size;
                const tokens = randomTokens(e, B, S, V, 5);
                const batched = e.read(m.forward(tokens).logits);
                const ids = e.read(tokens) as Int32Array;
                const dec = decodeLogits(e, m, ids, B, S, 4);
                for (let b = 0; b < B; b++) {
                  const row: Tensor = slice(tokens, 0, b, b + 1);
                  const single = e.read(m.forward(row).logits);
                  assert.ok(
                    maxAbsDiff(single, batched.subarray(b * S * V, (b + 1) * S * V)) < 1e-5,
                    `row ${b} forward`,
                  );
                  const one = decodeLogits(e, m, ids.subarray(b * S, (b + 1) * S), 1, S, 4);
                  assert.ok(
                    maxAbsDiff(one, dec.subarray(b * (S - 4) * V, (b + 1) * (S - 4) * V)) < 1e-5,
                    `row ${b} decode`,
                  );
                }
              }),
            );
          } finally {
            disposeModel(m);
          }
        });
      });
    }

    it('ragged cached calls (different slots, lengths and chunk sizes, with a rollback) equal full forwards', () => {
      const e = engine(),
        m = tinyModel(e);
      const V = m.config.vocab_size,
        rng = new Rng(21);
      const seqs = [13, 9, 11].map((n) => Array.from({ length: n }, () => rng.int(V)));
      try {
        e.noGrad(() =>
          e.scope(() => {
            const want = seqs.map((s) => e.read(m.forward(e.tensor(s, [1, s.length], 'i32')).logits) as Float32Array);
            const cache = m.createCache(4, 16);
            const got = seqs.map((s) => new Float32Array(s.length * V));
            const fed = [0, 0, 0];
            const slotOf = [3, 0, 2]; // sequences live in arbitrary slots
            const plan: [number, number][][] = [
              [
                [0, 5],
                [2, 3],
              ],
              [
                [0, 1],
                [1, 4],
                [2, 2],
              ],
              [
                [1, 1],
                [0, 3],
              ],
              [
                [2, 6],
                [1, 6],
                [0, 4],
              ],
            ];
            try {
              for (const call of plan) {
                const rows = call.map(([i, n]) => ({ slot: slotOf[i]!, tokens: seqs[i]!.slice(fed[i], fed[i]! + n) }));
                const out = m.stepRows(cache, rows);
                const logits = e.read(out.logits) as Float32Array;
                call.forEach(([i, n], r) => {
                  got[i]!.set(
                    logits.subarray(out.batch.rows[r]!.offset * V, (out.batch.rows[r]!.offset + n) * V),
                    fed[i]! * V,
                  );
                  fed[i]! += n;
                });
                if (call === plan[1]) {
                  // roll sequence 1 back by two tokens and feed them again
                  cache.truncate(slotOf[1]!, fed[1]! - 2);
                  fed[1]! -= 2;
                }
              }
              assert.deepEqual(
                fed,
                seqs.map((s) => s.length),
              );
              seqs.forEach((_, i) =>
                assert.ok(maxAbsDiff(got[i]!, want[i]!) < 1e-4, `sequence ${i}: ${maxAbsDiff(got[i]!, want[i]!)}`),
              );
              assert.deepEqual(Array.from(cache.lengths), [9, 0, 11, 13]);
            } finally {
              cache.dispose();
            }
          }),
        );
      } finally {
        disposeModel(m);
      }
    });

    it('rejects token ids out of range, naming the id, position and vocab_size', () => {
      const e = engine(),
        m = tinyModel(e);
      try {
        e.scope(() => {
          const bad = e.tensor([1, 2, 64, 3], [2, 2], 'i32');
          assert.throws(
            () => m.forward(bad),
            /id 64 at \[1, 0\] is out of range; expected 0 <= id < vocab_size \(64\)/,
          );
          assert.throws(() => m.forward(e.tensor([-1, 0], [1, 2], 'i32')), /id -1/);
          const cache = m.createCache(1, 4);
          try {
            assert.throws(
              () => e.noGrad(() => m.step(cache, e.tensor([1, 2, 3, 4, 5], [1, 5], 'i32'))),
              /overflow the cache|exceed/,
            );
          } finally {
            cache.dispose();
          }
        });
      } finally {
        disposeModel(m);
      }
    });

    it("the 'matmul' attention implementation equals the fused kernel (loss and gradients)", () => {
      const run = (attention: 'fused' | 'matmul'): Float32Array[] => {
        const e = engine(),
          m = tinyModel(e, {}, 4, { attention });
        try {
          return e.scope(() => {
            const out = m.loss(randomTokens(e, 2, 10, m.config.vocab_size, 6));
            out.loss.backward();
            return [
              Float32Array.of(out.loss.item()),
              ...[...m.params.values()].filter((p) => p.grad).map((p) => e.read(p.grad!) as Float32Array),
            ];
          });
        } finally {
          disposeModel(m);
        }
      };
      const a = run('fused'),
        b = run('matmul');
      assert.equal(a.length, b.length);
      a.forEach((x, i) => assert.ok(maxAbsDiff(x, b[i]!) < 1e-5, `item ${i}: ${maxAbsDiff(x, b[i]!)}`));
    });

    it('a training step and a decode step leak no tensor memory', () => {
      const e = engine(),
        m = tinyModel(e, { num_nextn_predict_layers: 1 }, 5, { seqAuxAlpha: 1e-3 });
      const tokens = e.keep(randomTokens(e, 2, 8, m.config.vocab_size));
      const cache = m.createCache(2, 16);
      try {
        const step = (): void => {
          e.scope(() => m.loss(tokens).loss.backward());
          for (const p of m.params.values()) {
            p.grad?.dispose();
            p.grad = null;
          }
          e.noGrad(() =>
            e.scope(() => {
              m.step(cache, slice(tokens, 1, cache.length, cache.length + 1));
            }),
          );
        };
        step();
        const before = e.liveBytes;
        step();
        assert.equal(e.liveBytes, before);
      } finally {
        cache.dispose();
        tokens.dispose();
        disposeModel(m);
      }
    });

    it('ModelOptions.linear runs every block projection and nothing else (not embedding, head, router)', () => {
      const e = engine();
      const seen = new Set<Tensor>();
      const m = tinyModel(e, { num_nextn_predict_layers: 1 }, 3, {
        linear: (x, w) => {
          seen.add(w);
          return matmul(x, transpose(w));
        },
      });
      const plain = tinyModel(e, { num_nextn_predict_layers: 1 }, 3);
      try {
        e.noGrad(() =>
          e.scope(() => {
            const tokens = randomTokens(e, 2, 8, m.config.vocab_size);
            const a = m.loss(tokens).loss.item(),
              b = plain.loss(tokens).loss.item();
            assert.equal(a, b);
          }),
        );
        const used = [...m.params].filter(([, t]) => seen.has(t)).map(([k]) => k);
        const isBlockLinear = (k: string): boolean =>
          /\.(q_a_proj|q_b_proj|q_proj|kv_a_proj_with_mqa|kv_b_proj|o_proj|gate_proj|up_proj|down_proj|eh_proj)\.weight$/.test(
            k,
          );
        assert.deepEqual(
          used.filter((k) => !isBlockLinear(k)),
          [],
        );
        const never = [...m.params.keys()].filter(
          (k) => isBlockLinear(k) && !used.includes(k) && !/\.experts\./.test(k),
        );
        assert.deepEqual(never, [], 'every non-expert block projection went through the option');
        assert.ok(used.some((k) => /\.experts\./.test(k)) && used.includes('model.layers.2.eh_proj.weight'));
      } finally {
        disposeModel(m);
        disposeModel(plain);
      }
    });

    it('lastLogits picks the final position', () => {
      const e = engine();
      e.scope(() => {
        const l = e.tensor([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
        assert.deepEqual(Array.from(e.read(DeepseekV3.lastLogits(l))), [3, 4, 7, 8]);
      });
    });
  },
  ['reference', 'wasm 2 threads'],
);
