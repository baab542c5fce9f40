/**
 * The RL student's checkpoints (src/distill/dense-grpo.ts): a GRPO run interrupted after its step-2
 * checkpoint and run again from the same base ends with the same weights, optimizer moments and
 * metrics as an uninterrupted run, the refreshed reference (sync_ref_model) included; checkpoints
 * appear every save_steps with a `latest` pointer.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { grpoDenseStudent } from '../../src/distill/dense-grpo.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { initDenseParams, parseDenseConfig } from '../../src/models/qwen2/index.js';
import { Engine, Rng, type Tensor } from '../../src/tensor/index.js';
import { readMetrics } from '../../src/train/metrics.js';
import { toyTokenizer } from '../eval/fixtures.js';

let e: Engine, root: string;
before(async () => {
  e = new Engine(await createWasmBackend({ threads: 1 }));
  root = mkdtempSync(join(tmpdir(), 'dense-grpo-'));
});
after(() => {
  e.backend.dispose();
  rmSync(root, { recursive: true, force: true });
});

const LAYERS = [
  {
    tasks: { arithmetic: 1 },
    difficulties: { arithmetic: [1] },
    template: 'r1',
    reward_weights: { accuracy: 1, language: 1 },
    num_generations: 4,
    generation_batch_size: 8,
    per_device_train_batch_size: 8,
    max_prompt_length: 200,
    max_completion_length: 10,
    temperature: 1.5,
    beta: 0.05,
    sync_ref_model: true,
    ref_model_sync_steps: 1,
    ref_model_mixup_alpha: 0.5,
    learning_rate: 3e-3,
    max_steps: 5,
    save_steps: 2,
    save_total_limit: 0,
    log_completions_steps: 1,
    seed: 3,
  },
];
// Figures that do not depend on timing.
const KEYS = [
  'step',
  'reward',
  'accuracy',
  'loss',
  'grad_norm',
  'kl',
  'entropy',
  'completion_length_mean',
  'clip_ratio',
];

test('an interrupted, then resumed, dense GRPO run ends identical to an uninterrupted one', async () => {
  const tok = toyTokenizer(join(root, 'tokenizer'));
  const config = parseDenseConfig({
    model_type: 'qwen2',
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 256,
    tie_word_embeddings: true,
    initializer_range: 0.1,
  }).config;
  const free = (ps: Map<string, Tensor>) => {
    for (const p of ps.values()) {
      p.grad?.dispose();
      p.dispose();
    }
  };
  const run = async (dir: string, onStep?: (step: number) => void, onResume?: (step: number) => void) => {
    const params = initDenseParams(e, config, new Rng(1)); // the base, as the distill stage loads it on every attempt
    // A random student almost never closes <think>, so every reward would be 0 and nothing would train:
    // a large </think> embedding row (tied to the output) makes some samples close it and earn the
    // language reward, so groups have spread and weights and moments move before the checkpoint.
    const emb = params.get('model.embed_tokens.weight')!,
      row = tok.tokenToId('</think>')!,
      H = config.hidden_size,
      w = emb.toArray() as Float32Array;
    for (let i = 0; i < H; i++) w[row * H + i]! *= 8;
    e.backend.f32().set(w, emb.ptr >>> 2);
    try {
      return await grpoDenseStudent({
        engine: e,
        config,
        params,
        tokenizer: tok,
        layers: LAYERS,
        outputDir: dir,
        timeBudgetSec: 1e9,
        ...(onStep ? { onStep } : {}),
        ...(onResume ? { onResume } : {}),
      });
    } finally {
      free(params);
    }
  };

  const a = join(root, 'a'),
    b = join(root, 'b');
  const ra = await run(a);
  assert.equal(ra.steps, 5);
  assert.equal(ra.resumedAt, undefined);
  for (const s of ['000002', '000004', '000005'])
    assert.ok(existsSync(join(a, `checkpoint-${s}`, 'trainer_state.json')), `checkpoint ${s}`);
  assert.ok(!existsSync(join(a, 'checkpoint-000003')), 'no checkpoint between save_steps');
  assert.equal(readFileSync(join(a, 'latest'), 'utf8').trim(), 'checkpoint-000005');

  await assert.rejects(
    run(b, (step) => {
      if (step === 3) throw new Error('interrupted');
    }),
    /interrupted/,
  );
  assert.equal(readFileSync(join(b, 'latest'), 'utf8').trim(), 'checkpoint-000002');
  assert.ok(!existsSync(join(b, 'model.safetensors')), 'an interrupted run saves no final model');
  let resumedAt = -1;
  const rb = await run(b, undefined, (step) => {
    resumedAt = step;
  });
  assert.equal(resumedAt, 2);
  assert.deepEqual([rb.steps, rb.resumedAt], [5, 2]);

  for (const f of [
    'model.safetensors',
    'checkpoint-000005/optimizer.safetensors',
    'checkpoint-000005/ref_model.safetensors',
    'checkpoint-000004/model.safetensors',
  ]) {
    assert.ok(
      readFileSync(join(a, f)).equals(readFileSync(join(b, f))),
      `${f} differs between the uninterrupted and the resumed run`,
    );
  }
  const ma = readMetrics(join(a, 'metrics.jsonl')),
    mb = readMetrics(join(b, 'metrics.jsonl'));
  assert.ok(
    ma.slice(0, 2).every((r) => (r.grad_norm as number) > 0) && (ma[1]!.kl as number) > 0,
    'the weights, moments and reference move before the checkpoint (else the comparison proves nothing)',
  );
  assert.deepEqual(
    mb.map((r) => r.step),
    [1, 2, 3, 4, 5],
    "the interrupted attempt's step-3 record is replaced, not duplicated",
  );
  assert.deepEqual(
    mb.map((r) => KEYS.map((k) => r[k])),
    ma.map((r) => KEYS.map((k) => r[k])),
  );
  const state = JSON.parse(readFileSync(join(b, 'checkpoint-000005', 'trainer_state.json'), 'utf8')) as {
    data_state: { elapsed_sec: number; problems: number };
  };
  assert.ok(state.data_state.elapsed_sec > 0 && Number.isInteger(state.data_state.problems));
  assert.ok(rb.seconds >= state.data_state.elapsed_sec - 1e-9, 'seconds count the attempt before the interruption');
});
