/**
 * Group rollouts on the generation engine (src/rl/rollout.ts: the Scheduler over a CausalLM):
 * greedy completions equal step-by-step argmax of the full (training-path) forward over the growing
 * sequence, for several prompts of different lengths at once (this checks the forked slots and the
 * per-slot decode); seeded sampling is reproducible and pinned; stop tokens end a row and are kept;
 * repeated rollouts reserve no new memory (the heap coalesces); packing lays completions where the
 * stored log-probs expect them, in micro-batches as long as their longest sequence.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DeepseekV3LM } from '../../src/inference/deepseek-adapter.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { completionValues, packBatch } from '../../src/rl/batch.js';
import { deepseekPolicy } from '../../src/rl/policy.js';
import { rolloutSlots, sampleGroups } from '../../src/rl/rollout.js';
import { argmax, Engine, Rng } from '../../src/tensor/index.js';
import { EOS_ID, toyConfig } from './toy.js';

const e = new Engine(createReferenceBackend(1 << 24));
const config = toyConfig();
const params = initParams(e, config, new Rng(3));
const model = new DeepseekV3(e, config, params);
const policy = deepseekPolicy(e, config, params);

function greedyByForward(prompt: number[], steps: number): number[] {
  const seq = [...prompt],
    out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const next = e.noGrad(() =>
      e.scope(() => {
        const logits = model.forward(e.tensor(seq, [1, seq.length], 'i32')).logits; // (1, T, V)
        return (e.read(argmax(DeepseekV3.lastLogits(logits), 1)) as Int32Array)[0]!;
      }),
    );
    out.push(next);
    seq.push(next);
    if (next === EOS_ID) break;
  }
  return out;
}

describe('sampleGroups', () => {
  const prompts = [[1, 2, 3], [4], [5, 6, 7, 0, 2]];
  const settings = { temperature: 0, topP: 1, topK: 0, maxNewTokens: 6, stopTokens: [EOS_ID] };

  test('greedy groups equal argmax decoding with the full forward, for prompts of different lengths', async () => {
    const groups = await policy.sampleGroups(prompts, 3, settings, new Rng(1));
    assert.equal(groups.length, 3);
    prompts.forEach((p, k) => {
      const want = greedyByForward(p, 6);
      for (let j = 0; j < 3; j++) assert.deepEqual(groups[k]!.completions[j], want, `prompt ${k}, row ${j}`);
      assert.equal(groups[k]!.finished[0], want.at(-1) === EOS_ID);
    });
  });

  test('fewer slots than completions: groups wait for slots and give the same completions', async () => {
    const s = { ...settings, temperature: 1.5, maxNewTokens: 8 };
    const lm = new DeepseekV3LM(model, { maxSlots: 3, mtp: false });
    try {
      const few = await sampleGroups(lm, prompts, 3, s, new Rng(9));
      assert.deepEqual(few, await policy.sampleGroups(prompts, 3, s, new Rng(9)));
    } finally {
      lm.dispose();
    }
  });

  test('a policy with a slot cap (evaluation) streams the groups through it, same completions', async () => {
    const s = { ...settings, temperature: 1.5, maxNewTokens: 8 };
    const capped = deepseekPolicy(e, config, params, config.max_position_embeddings, { maxSlots: 3 });
    try {
      assert.deepEqual(
        await capped.sampleGroups(prompts, 3, s, new Rng(5)),
        await policy.sampleGroups(prompts, 3, s, new Rng(5)),
      );
      assert.equal(rolloutSlots(3, 3, 3), 3);
      assert.equal(rolloutSlots(3, 3), 9, 'no cap: one slot per completion');
      assert.equal(rolloutSlots(3, 4, 2), 4, 'a group forks at once: at least n');
    } finally {
      capped.dispose();
    }
  });

  test('vocabLimit (a checkpoint padded past its tokenizer) keeps every sampled id below it', async () => {
    const s = { ...settings, temperature: 2, maxNewTokens: 12, stopTokens: [] },
      limit = 4;
    const ids = (gs: { completions: number[][] }[]) => gs.flatMap((g) => g.completions.flat());
    const free = ids(await policy.sampleGroups(prompts, 3, s, new Rng(6)));
    assert.ok(
      free.some((t) => t >= limit),
      'without the limit the random model samples ids above it',
    );
    const limited = ids(await policy.sampleGroups(prompts, 3, { ...s, vocabLimit: limit }, new Rng(6)));
    assert.equal(limited.length, free.length);
    assert.ok(
      limited.every((t) => t < limit),
      `ids ${limited.filter((t) => t >= limit)}`,
    );
  });

  test('repeated rollouts with other prompt lengths reserve no new memory once warm', async () => {
    const s = { ...settings, temperature: 1, maxNewTokens: 10 };
    const r = new Rng(4),
      lens = [
        [3, 9, 5],
        [7, 2, 11],
        [4, 4, 13],
        [12, 1, 6],
        [8, 10, 3],
      ];
    const run = (ls: number[]) =>
      policy.sampleGroups(
        ls.map((L) => Array.from({ length: L }, (_, i) => (i * 3 + L) % 8)),
        3,
        s,
        r,
      );
    await run(lens[0]!);
    await run(lens[1]!);
    const warm = e.heap.reservedBytes;
    for (const ls of lens.slice(2)) await run(ls);
    assert.ok(e.heap.reservedBytes <= warm * 1.1, `reserved ${warm} -> ${e.heap.reservedBytes} bytes`);
  });

  test('seeded sampling is reproducible, pinned, and rows of a group differ', async () => {
    const s = { ...settings, temperature: 1.5, maxNewTokens: 8 };
    const a = await policy.sampleGroups(prompts, 4, s, new Rng(9)),
      b = await policy.sampleGroups(prompts, 4, s, new Rng(9));
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((g) => g.completions),
      PINNED,
    );
    assert.ok(new Set(a[0]!.completions.map((c) => c.join(','))).size > 1);
    for (const g of a)
      g.completions.forEach((c, i) => {
        assert.equal(g.finished[i], c.at(-1) === EOS_ID);
        assert.ok(c.length <= 8 && c.slice(0, -1).every((t) => t !== EOS_ID));
      });
  });

  test('a prompt that fills the context is an error naming the sizes', async () => {
    await assert.rejects(
      () => policy.sampleGroups([new Array(32).fill(1)], 2, settings, new Rng(1)),
      /prompt of 32 tokens leaves no room in the model's 32-token context/,
    );
  });
});

/** The four completions of each prompt at temperature 1.5 from Rng(9): the engine's seeded output. */
const PINNED: number[][][] = [
  [[8], [8], [8], [0, 2, 7, 6, 0, 3, 6, 2]],
  [
    [3, 4, 5, 6, 6, 0, 8],
    [3, 6, 8],
    [1, 8],
    [0, 5, 5, 8],
  ],
  [
    [4, 8],
    [0, 1, 6, 2, 3, 6, 6, 8],
    [4, 6, 3, 3, 5, 6, 3, 4],
    [5, 8],
  ],
];

describe('packBatch', () => {
  test('inputs, targets, mask and stored values line up with completion positions', () => {
    const samples = [
      { prompt: [1, 2], completion: [3, 4, 5], advantage: 0.5, inLoss: true, oldLogp: Float32Array.of(-1, -2, -3) },
      { prompt: [6], completion: [7], advantage: -1, inLoss: false, oldLogp: Float32Array.of(-4) },
    ];
    const p = packBatch(samples, 9);
    assert.equal(p.T, 4);
    assert.deepEqual(Array.from(p.inputs), [1, 2, 3, 4, 6, 9, 9, 9]);
    assert.deepEqual(Array.from(p.targets), [2, 3, 4, 5, 7, 9, 9, 9]);
    assert.deepEqual(Array.from(p.mask), [0, 1, 1, 1, 0, 0, 0, 0]);
    assert.deepEqual(Array.from(p.oldLogp!), [0, -1, -2, -3, -4, 0, 0, 0]);
    assert.deepEqual(Array.from(p.advantages), [0.5, -1]);
    assert.deepEqual(
      completionValues(p.oldLogp!, samples, p.T).map((v) => Array.from(v)),
      [[-1, -2, -3], [-4]],
    );
  });
});
