/**
 * GRPO micro-batches are as long as their longest sequence: every forward of the update (and of the
 * stored pi_old / pi_ref log-probs) gets tokens [rows, longest prompt + completion in the
 * micro-batch - 1], not a fixed padded context (the allocator-era workaround this replaced).
 */
import { freshTrainerState } from '../../src/train/checkpoint.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { AdamW } from '../../src/nn/adamw.js';
import { resolveGrpoConfig } from '../../src/rl/config.js';
import { cloneParams, deepseekPolicy, type Policy } from '../../src/rl/policy.js';
import { GrpoTrainer } from '../../src/rl/trainer.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { MetricsLog } from '../../src/train/metrics.js';
import { aShare, ToyProblems, toyConfig, toyTemplate, toyTokenizer } from './toy.js';

/** The policy, recording the shape of every logits call and the sequences of every rollout. */
function recording(policy: Policy) {
  const shapes: number[][] = [],
    sequences: number[] = [];
  const wrapped: Policy = {
    ...policy,
    logits: (tokens) => {
      shapes.push([...tokens.shape]);
      return policy.logits(tokens);
    },
    sampleGroups: async (prompts, n, s, rng) => {
      const groups = await policy.sampleGroups(prompts, n, s, rng);
      groups.forEach((g, k) => {
        for (const c of g.completions) sequences.push(prompts[k]!.length + c.length);
      });
      return groups;
    },
  };
  return { wrapped, shapes, sequences };
}

test('GRPO micro-batch tensors are [rows, longest sequence in the micro-batch - 1]', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-mb-'));
  const e = new Engine(createReferenceBackend(1 << 24));
  try {
    const config = toyConfig();
    const params = initParams(e, config, new Rng(5)),
      refParams = cloneParams(params);
    const c = resolveGrpoConfig([
      {
        model: 'toy',
        output_dir: dir,
        num_generations: 4,
        generation_batch_size: 12,
        per_device_train_batch_size: 5,
        max_completion_length: 8,
        beta: 0.01,
        num_iterations: 2,
        max_steps: 1,
        save_steps: 0,
        log_completions_steps: 0,
      },
    ]);
    const policy = recording(deepseekPolicy(e, config, params)),
      reference = recording(deepseekPolicy(e, config, refParams));
    const trainer = new GrpoTrainer(
      {
        engine: e,
        policy: policy.wrapped,
        params,
        reference: { policy: reference.wrapped, params: refParams },
        optimizer: new AdamW(params, { lr: 1e-3 }),
        tokenizer: toyTokenizer,
        template: toyTemplate,
        problems: new ToyProblems(3),
        rewards: [aShare],
        config: c,
        rng: new Rng(2),
        metrics: new MetricsLog(join(dir, 'metrics.jsonl')),
        save: async () => 'not saved',
      },
      freshTrainerState([]),
    );
    await trainer.run();
    const seqs = policy.sequences;
    assert.equal(seqs.length, 12);
    const want: number[][] = [];
    for (let i = 0; i < seqs.length; i += 5) {
      const part = seqs.slice(i, i + 5);
      want.push([part.length, Math.max(...part) - 1]);
    }
    // pi_old once, then num_iterations updates, on the policy; pi_ref once on the reference.
    assert.deepEqual(policy.shapes, [...want, ...want, ...want]);
    assert.deepEqual(reference.shapes, want);
    assert.ok(
      want.some(([, T]) => T! < config.max_position_embeddings - 1),
      'the sequences are shorter than the context',
    );
    assert.ok(new Set(want.map(([, T]) => T)).size > 1 || new Set(seqs).size > 1, 'lengths vary');
  } finally {
    e.backend.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
