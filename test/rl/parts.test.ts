/**
 * The smaller GRPO parts: the prompt stream (weighted mix, never a held-out problem, resumable
 * state), templates, reflection-phrase counting, config validation with TRL names, and the
 * reference refresh (ref <- alpha * policy + (1 - alpha) * ref).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { resolveGrpoConfig } from '../../src/rl/config.js';
import { cloneParams, mixParams } from '../../src/rl/policy.js';
import { ProblemStream, TEMPLATES } from '../../src/rl/prompts.js';
import { reflectionCount } from '../../src/rl/reflection.js';
import { isTestKey } from '../../src/tasks/splits.js';
import { Engine } from '../../src/tensor/index.js';

describe('ProblemStream', () => {
  test('follows the weights, never yields a held-out problem, and resumes from its state', () => {
    const s = new ProblemStream({ tasks: { countdown: 3, arithmetic: 1 }, languages: ['en', 'zh'], seed: 7 });
    const first = Array.from({ length: 400 }, () => s.next());
    const cd = first.filter((p) => p.task === 'countdown').length;
    assert.ok(cd > 250 && cd < 350, `countdown share ${cd}/400`);
    assert.ok(first.every((p) => !isTestKey(p.key)));
    assert.ok(first.some((p) => p.lang === 'zh'));
    const saved = s.state,
      expect = Array.from({ length: 5 }, () => s.next().key);
    const resumed = new ProblemStream({
      tasks: { countdown: 3, arithmetic: 1 },
      languages: ['en', 'zh'],
      seed: 7,
      state: saved,
    });
    assert.deepEqual(
      Array.from({ length: 5 }, () => resumed.next().key),
      expect,
    );
  });
  test('the general scenarios: chat prompts and direct queries mix in; chat takes only level 1', () => {
    const s = new ProblemStream({ tasks: { countdown: 1, chat: 1, direct: 1 }, languages: ['en', 'zh'], seed: 3 });
    const ps = Array.from({ length: 300 }, () => s.next());
    for (const t of ['countdown', 'chat', 'direct'])
      assert.ok(ps.filter((p) => p.task === t).length > 60, `${t} share`);
    const c = ps.find((p) => p.task === 'chat' && p.lang === 'zh')!;
    assert.match(c.prompt, /[\u4e00-\u9fff]/);
    assert.deepEqual(c.data, {});
    assert.throws(
      () => new ProblemStream({ tasks: { chat: 1 }, difficulties: { chat: [2] }, languages: ['en'], seed: 1 }),
      /difficulties.chat: chat prompts have one level, 1; got 2/,
    );
  });
  test('difficulties are checked against the task', () => {
    assert.throws(
      () =>
        new ProblemStream({ tasks: { countdown: 1 }, difficulties: { countdown: [9] }, languages: ['en'], seed: 1 }),
      /difficulties.countdown: 9 is not a level of countdown/,
    );
    assert.throws(() => new ProblemStream({ tasks: { nope: 1 }, languages: ['en'], seed: 1 }), /unknown task "nope"/);
  });
  test('templates: R1-Zero ends with "Assistant:"; R1 opens <think> and scores with that prefix', () => {
    const p = new ProblemStream({ tasks: { arithmetic: 1 }, languages: ['en'], seed: 1 }).next();
    assert.match(
      TEMPLATES['r1-zero'].render(p),
      /^A conversation between User and Assistant\..*User: Calculate .*Assistant:$/s,
    );
    assert.equal(TEMPLATES['r1-zero'].responsePrefix, '');
    assert.match(TEMPLATES.r1.render(p), /<｜Assistant｜><think>\n$/);
    assert.equal(TEMPLATES.r1.responsePrefix, '<think>\n');
  });
});

test('reflection phrases (English with word boundaries, Chinese)', () => {
  assert.equal(reflectionCount('Wait, let me check. I re-check and verify it. Verified!'), 5);
  assert.equal(reflectionCount('awaiting the waiter; unverifiable'), 0);
  assert.equal(reflectionCount('等等，让我检查一下，再验证'), 3);
  assert.equal(reflectionCount(''), 0);
});

describe('GRPO config', () => {
  test('defaults follow R1-Zero; unknown keys and bad values are errors naming them', () => {
    const c = resolveGrpoConfig([{ model: 'm' }]);
    assert.deepEqual(
      [c.num_generations, c.temperature, c.beta, c.loss_type, c.scale_rewards, c.epsilon_high],
      [16, 1, 0.001, 'grpo', 'group', undefined],
    );
    assert.throws(() => resolveGrpoConfig([{ model: 'm', num_generation: 4 }]), /num_generation/);
    assert.throws(() => resolveGrpoConfig([{ model: 'm', loss_type: 'bnpo' }]), /loss_type/);
    assert.throws(() => resolveGrpoConfig([{ model: 'm', num_generations: 1 }]), /num_generations/);
    assert.throws(
      () => resolveGrpoConfig([{ model: 'm', num_generations: 6, generation_batch_size: 16 }]),
      /generation_batch_size 16 must be a multiple of num_generations 6/,
    );
  });
});

test('reference refresh mixes the policy in with alpha', () => {
  const e = new Engine(createReferenceBackend());
  const policy = new Map([['w', e.parameter([1, 2, 3], [3])]]);
  const ref = cloneParams(policy);
  assert.equal(ref.get('w')!.requiresGrad, false);
  e.backend.f32().set([3, 4, 5], policy.get('w')!.ptr >>> 2);
  mixParams(ref, policy, 0.25);
  assert.deepEqual(Array.from(ref.get('w')!.toArray()), [1.5, 2.5, 3.5]);
  mixParams(ref, policy, 1);
  assert.deepEqual(Array.from(ref.get('w')!.toArray()), [3, 4, 5]);
  assert.throws(() => mixParams(ref, policy, 2), /ref_model_mixup_alpha must be in \[0, 1\]/);
});
