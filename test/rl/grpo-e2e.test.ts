/**
 * End to end on the toy world (test/rl/toy.ts): GRPO with the real model, rollouts, rewards,
 * reference KL and AdamW raises the reward of a trivially learnable task measurably within CI time,
 * and the metrics record carries every field the issue asks for.
 */
import { freshTrainerState, type TrainerState } from '../../src/train/checkpoint.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { AdamW } from '../../src/nn/adamw.js';
import { rewardsByName, type WeightedReward } from '../../src/rewards/combine.js';
import { resolveGrpoConfig } from '../../src/rl/config.js';
import { cloneParams, deepseekPolicy } from '../../src/rl/policy.js';
import { GrpoTrainer } from '../../src/rl/trainer.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { MetricsLog, readMetrics, type MetricsRecord } from '../../src/train/metrics.js';
import { aShare, ToyProblems, toyConfig, toyTemplate, toyTokenizer } from './toy.js';

/**
 * GRPO on the toy world in `dir` for 20 steps (or `steps`): `beta` > 0 adds a frozen reference;
 * `priorSec` starts from a state that carries that much training time, and `saved` collects the
 * state of a save after every step. Returns the metrics records.
 */
async function runToyGrpo(
  dir: string,
  o: { rewards: WeightedReward[]; beta: number; num_iterations: number; paramSeed: number; rngSeed: number },
  more: { steps?: number; priorSec?: number; saved?: TrainerState[] } = {},
): Promise<MetricsRecord[]> {
  const e = new Engine(createReferenceBackend(1 << 24));
  const config = toyConfig();
  const params = initParams(e, config, new Rng(o.paramSeed));
  const refParams = o.beta > 0 ? cloneParams(params) : undefined;
  const c = resolveGrpoConfig([
    {
      model: 'toy',
      output_dir: dir,
      num_generations: 8,
      generation_batch_size: 32,
      per_device_train_batch_size: 16,
      max_completion_length: 8,
      learning_rate: 0.003,
      beta: o.beta,
      num_iterations: o.num_iterations,
      max_steps: more.steps ?? 20,
      save_steps: more.saved ? 1 : 0,
      log_completions_steps: 0,
    },
  ]);
  const optimizer = new AdamW(params, { lr: c.learning_rate, beta2: c.adam_beta2, weightDecay: 0 });
  const trainer = new GrpoTrainer(
    {
      engine: e,
      policy: deepseekPolicy(e, config, params),
      params,
      ...(refParams ? { reference: { policy: deepseekPolicy(e, config, refParams), params: refParams } } : {}),
      optimizer,
      tokenizer: toyTokenizer,
      template: toyTemplate,
      problems: new ToyProblems(1),
      rewards: o.rewards,
      config: c,
      rng: new Rng(o.rngSeed),
      metrics: new MetricsLog(join(dir, 'metrics.jsonl')),
      save: async (state) => {
        more.saved?.push(state);
        return 'not saved';
      },
    },
    { ...freshTrainerState([]), ...(more.priorSec !== undefined ? { elapsed_sec: more.priorSec } : {}) },
  );
  await trainer.run();
  return readMetrics(join(dir, 'metrics.jsonl'));
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

test("a resumed run's time goes on from the seconds its state carries, and every save carries it on", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-time-'));
  try {
    const saved: TrainerState[] = [];
    const recs = await runToyGrpo(
      dir,
      { rewards: [aShare], beta: 0, num_iterations: 1, paramSeed: 5, rngSeed: 2 },
      { steps: 2, priorSec: 1000, saved },
    );
    const t = recs.map((r) => r.elapsed_sec as number);
    assert.ok(t[0]! > 1000 && t[1]! > t[0]!, `elapsed_sec ${t.join(', ')} does not go on from 1000`);
    assert.deepEqual(
      saved.map((st) => st.step),
      [1, 2],
    );
    assert.ok(saved[1]!.elapsed_sec! >= t[1]!, `the last save carries ${saved[1]!.elapsed_sec} s, less than ${t[1]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GRPO raises the toy reward measurably in a few seconds', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-e2e-'));
  try {
    const t0 = performance.now();
    const recs = await runToyGrpo(dir, { rewards: [aShare], beta: 0.01, num_iterations: 2, paramSeed: 5, rngSeed: 2 });
    const seconds = (performance.now() - t0) / 1000;
    assert.equal(recs.length, 20);
    const first = mean(recs.slice(0, 5).map((r) => r.reward as number)),
      last = mean(recs.slice(-5).map((r) => r.reward as number));
    assert.ok(last > first + 0.3, `reward ${first.toFixed(3)} -> ${last.toFixed(3)} did not rise by 0.3`);
    for (const key of [
      'reward',
      'reward_std',
      'rewards/a_share/mean',
      'rewards/a_share/std',
      'accuracy',
      'completion_length_mean',
      'completion_length_min',
      'completion_length_max',
      'zero_spread_share',
      'kl',
      'clip_ratio',
      'clip_ratio_low',
      'clip_ratio_high',
      'entropy',
      'reflection_rate',
      'rollout_tokens_per_sec',
      'update_tokens_per_sec',
      'loss',
      'grad_norm',
    ]) {
      assert.ok(Number.isFinite(recs.at(-1)![key]), `metric ${key} is ${recs.at(-1)![key]}`);
    }
    assert.ok((recs.at(-1)!.kl as number) > 0, 'the policy moved away from the reference');
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
  } finally {
    if (process.env.GRPO_E2E_KEEP) process.stderr.write(`kept ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  }
});

test('the length reward reaches the trainer with token counts: GRPO learns to stop before the soft limit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-len-'));
  try {
    const recs = await runToyGrpo(dir, {
      rewards: rewardsByName({ length: 1 }),
      beta: 0,
      num_iterations: 1,
      paramSeed: 7,
      rngSeed: 3,
    });
    // The first step's rollout is the untrained policy's (it learns within a few steps at this rate).
    const r0 = recs[0]!['rewards/length/mean'] as number,
      r1 = mean(recs.slice(-4).map((r) => r['rewards/length/mean'] as number));
    const l0 = recs[0]!.completion_length_mean as number,
      l1 = mean(recs.slice(-4).map((r) => r.completion_length_mean as number));
    assert.ok(r0 < -0.3, `an untrained policy runs into the limit (length reward ${r0.toFixed(3)})`);
    assert.ok(
      r1 > r0 + 0.3 && l1 < l0 - 1,
      `length reward ${r0.toFixed(3)} -> ${r1.toFixed(3)}, length ${l0.toFixed(2)} -> ${l1.toFixed(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
