/**
 * DeepSeek-V3 behind the generation engine's CausalLM seam: continuous batching through the real
 * Scheduler gives the same greedy tokens as recomputing full forwards, with and without MTP
 * speculative decoding, and a draft equals the training-path MTP module's prediction.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { CausalLM } from '../../src/inference/causal-lm.js';
import { Scheduler } from '../../src/inference/scheduler.js';
import { mtpLosses } from '../../src/models/deepseek-v3/mtp.js';
import { DeepseekV3SlotLM } from '../../src/models/deepseek-v3/slot-lm.js';
import { argmax, Rng, slice, type Engine } from '../../src/tensor/index.js';
import type { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { forEachBackend } from '../helpers/backends.js';
import { disposeModel, maxAbsDiff, tinyModel } from './fixtures.js';

const MTP = { num_nextn_predict_layers: 1 };

/** Greedy continuation by full recomputation (the obvious, slow way). */
function greedyByRecompute(e: Engine, m: DeepseekV3, prompt: number[], n: number): number[] {
  const seq = [...prompt];
  for (let i = 0; i < n; i++) {
    const next = e.noGrad(() => e.scope(() => {
      const logits = m.forward(e.tensor(seq, [1, seq.length], 'i32')).logits;
      return (e.read(argmax(slice(logits, 1, seq.length - 1, seq.length), 2)) as Int32Array)[0]!;
    }));
    seq.push(next);
  }
  return seq.slice(prompt.length);
}

async function collect(s: Scheduler, prompts: number[][], n: number): Promise<number[][]> {
  return Promise.all(prompts.map(async (p) => {
    const out: number[] = [];
    for await (const { token } of s.submit(p, { temperature: 0, maxNewTokens: n, stopTokens: [] })) out.push(token);
    return out;
  }));
}

forEachBackend((_name, engine) => {
  it('continuous batching through the Scheduler matches full recomputation, with and without MTP speculation', async () => {
    const e = engine(), m = tinyModel(e, MTP, 8);
    const rng = new Rng(2), V = m.config.vocab_size;
    const prompts = [7, 3, 12].map((n) => Array.from({ length: n }, () => rng.int(V)));
    const lm = new DeepseekV3SlotLM(m, 2);
    const seam: CausalLM = lm; // the adapter satisfies the engine's interface
    try {
      const want = prompts.map((p) => greedyByRecompute(e, m, p, 8));
      const plain = new Scheduler(seam, { speculative: false, prefillChunk: 5 });
      assert.deepEqual(await collect(plain, prompts, 8), want);
      const spec = new Scheduler(seam, { speculative: true, prefillChunk: 5 });
      assert.deepEqual(await collect(spec, prompts, 8), want);
      assert.ok(spec.stats.draftsProposed > 0, 'drafts were proposed');
      assert.ok(spec.stats.steps < plain.stats.steps + 1, 'speculation never adds steps');
    } finally { lm.dispose(); disposeModel(m); }
  });

  it('a draft equals the training-path MTP module logits at that position', () => {
    const e = engine(), m = tinyModel(e, MTP, 9);
    const V = m.config.vocab_size, rng = new Rng(4);
    const seq = Array.from({ length: 10 }, () => rng.int(V));
    const lm = new DeepseekV3SlotLM(m, 1);
    try {
      const slot = lm.allocSlot();
      lm.forward([{ slot, tokens: seq.slice(0, 6) }]);
      lm.forward([{ slot, tokens: seq.slice(6, 8), logits: 2 }]);
      lm.truncate(slot, 7); // a rejected draft: position 7 rolled back
      const draft = lm.draft!([slot], [seq[7]!])[0]!;
      const want = e.noGrad(() => e.scope(() => {
        const tokens = e.tensor(seq.slice(0, 9), [1, 9], 'i32');
        const h1 = mtpLosses(m, m.forward(tokens).hidden, tokens).hiddens[0]!; // (1, 8, D): position i uses t_{i+1}
        return e.read(m.head(slice(h1, 1, 6, 7), 'model.layers.2.shared_head.norm.weight')) as Float32Array;
      }));
      assert.ok(maxAbsDiff(draft, want) < 1e-4, `${maxAbsDiff(draft, want)}`);
      assert.equal(lm.length(slot), 7);
      assert.throws(() => lm.draft!([slot], [seq[7]!]), /no new position/);
      lm.freeSlot(slot);
      assert.throws(() => lm.length(slot), /not an allocated slot/);
    } finally { lm.dispose(); disposeModel(m); }
  });
}, ['reference', 'wasm 2 threads']);
