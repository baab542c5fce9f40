/**
 * Our compact-weight kernels against llama.cpp itself (node-llama-cpp) on the same GGUF files, per
 * weight format, on a scaled-down config with DeepSeek-R1-Distill-Qwen's layout (q/k/v biases,
 * GQA, untied head): next-token log-probabilities at every position of a prompt within the
 * format's tolerance (llama.cpp also rounds the activations of quantized products to 8 bits,
 * BF16 ones to BF16, so quantized formats are held to looser bounds), and greedy continuations of
 * 32 tokens identical up to a near-tie (where our two candidates are within the tolerance, either
 * is right). Skips, saying why, without node-llama-cpp.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadAnyCheckpoint } from '../../src/export/checkpoint.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { llamaCppAvailable, llamaGreedy, llamaLogProbs, loadLlamaCpp } from '../../src/export/llama-cpp.js';
import type { GgmlType } from '../../src/io/gguf-format.js';
import { createBackend } from '../../src/kernels/index.js';
import { loadDenseGguf } from '../../src/models/qwen2/compact-load.js';
import { DenseModel } from '../../src/models/qwen2/model.js';
import { Engine } from '../../src/tensor/index.js';
import { randomDenseCheckpoint, smallQwen2Json } from '../export/fixtures.js';

const available = await llamaCppAvailable();
const skip = available
  ? false
  : 'node-llama-cpp is not installed (npm install --save-dev node-llama-cpp@3.21.1); skipping the llama.cpp agreement tests';

const CONFIG = { ...smallQwen2Json(300), hidden_size: 256, intermediate_size: 512 };
const PROMPT = [3, 141, 59, 26, 53, 58, 97, 93, 23, 84, 62, 64];

function logSoftmax(row: Float32Array): Float64Array {
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
  let z = 0;
  for (const v of row) z += Math.exp(v - m);
  const lz = m + Math.log(z);
  return Float64Array.from(row, (v) => v - lz);
}

describe('llama.cpp and our compact kernels agree on the same GGUF', { skip }, () => {
  let engine: Engine, dir: string;
  before(async () => {
    engine = new Engine(await createBackend({ threads: 2 }));
    dir = await randomDenseCheckpoint(CONFIG, 5);
  });
  after(() => engine.backend.dispose());

  for (const [type, tol] of [
    ['F16', 2e-3],
    ['BF16', 0.02],
    ['Q8_0', 0.04],
    ['Q6_K', 0.05],
    ['Q4_0', 0.05],
    ['Q4_K', 0.06],
  ] as const) {
    it(`${type}: log-probabilities within ${tol}, greedy 32 tokens identical up to a near-tie`, async (t) => {
      const path = join(dir, `m-${type}.gguf`);
      await exportGguf(await loadAnyCheckpoint(dir), path, { type: type as GgmlType });
      const loaded = await loadDenseGguf(engine, path);
      const model = new DenseModel(engine, loaded.config, loaded.params, 64, loaded.compact);
      const llama = await loadLlamaCpp(path, { vocabSize: loaded.config.vocab_size, contextSize: 64, threads: 1 });
      try {
        const ours = engine.noGrad(() =>
          engine.scope(() => model.forward(engine.tensor(PROMPT, [1, PROMPT.length], 'i32')).toArray()),
        ) as Float32Array;
        const theirs = await llamaLogProbs(llama, PROMPT);
        const V = loaded.config.vocab_size;
        let diff = 0;
        for (let p = 0; p < PROMPT.length; p++) {
          const lp = logSoftmax(ours.subarray(p * V, (p + 1) * V));
          for (let i = 0; i < V; i++) diff = Math.max(diff, Math.abs(lp[i]! - theirs[p]![i]!));
        }
        // greedy: identical tokens, except that at a near-tie (our log-probabilities of the two
        // choices within the format's tolerance) either choice is right and the runs part there
        const theirGreedy = await llamaGreedy(llama, PROMPT, 32);
        const cache = model.createCache(1, 64);
        let agreed = 0,
          margin = 0;
        engine.noGrad(() => {
          let ids = PROMPT;
          for (; agreed < 32; agreed++) {
            const row = engine.scope(() =>
              model.stepRows(cache, [{ slot: 0, tokens: ids }], [ids.length - 1]).logits.toArray(),
            ) as Float32Array;
            let best = 0;
            for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
            if (best !== theirGreedy[agreed]) {
              const lp = logSoftmax(row);
              margin = lp[best]! - lp[theirGreedy[agreed]!]!;
              break;
            }
            ids = [best];
          }
        });
        cache.dispose();
        t.diagnostic(
          `${type}: max |log p difference| ${diff.toExponential(2)}; greedy agrees for ${agreed} tokens${agreed < 32 ? `, then a near-tie (margin ${margin.toExponential(2)})` : ''}`,
        );
        assert.ok(diff < tol, `${type}: max |log p difference| ${diff}`);
        if (agreed < 32)
          assert.ok(margin < 2 * tol, `${type}: greedy parts at token ${agreed} with a log-prob margin of ${margin}`);
      } finally {
        await llama.dispose();
        model.dispose();
        loaded.dispose();
      }
    });
  }
});
