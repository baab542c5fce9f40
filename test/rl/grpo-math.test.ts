/**
 * GRPO math against hand-computed numbers: group advantages (three scalings), the clipped surrogate
 * and its gradient at ratios below, inside and above the clip range for both signs of the advantage,
 * the k3 KL, each loss aggregation (and that micro-batches add up to the full batch), and the
 * whole GRPO gradient on a toy categorical policy against finite differences and the closed-form
 * policy gradient.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import {
  batchScaledAdvantages,
  groupCenteredAdvantages,
  groupScaledAdvantages,
  sampleStd,
  zeroSpreadShare,
  advantageFunction,
} from '../../src/rl/advantages.js';
import {
  aggregator,
  dapoAggregate,
  drGrpoAggregate,
  grpoAggregate,
  LOSS_TYPES,
  type BatchTotals,
} from '../../src/rl/aggregate.js';
import { tokenEntropies, tokenLogProbs } from '../../src/rl/logprobs.js';
import { clipFractions, clippedSurrogate, grpoTokenLoss, k3Kl } from '../../src/rl/objective.js';
import { detach, Engine, Rng, type Tensor } from '../../src/tensor/index.js';
import { gradcheck } from '../helpers/gradcheck.js';

const e = new Engine(createReferenceBackend(1 << 22));
const close = (got: ArrayLike<number>, want: readonly number[], tol = 1e-5, what = 'values') => {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++)
    assert.ok(Math.abs(got[i]! - want[i]!) <= tol, `${what}[${i}]: got ${got[i]}, expected ${want[i]}`);
};

describe('group advantages', () => {
  // Group 0: [1, 0, 0, 0]: mean 0.25, sample std sqrt((0.75^2 + 3 * 0.25^2) / 3) = 0.5.
  // Group 1: [2, 2, 2, 2]: no spread, advantage 0.
  const r = [1, 0, 0, 0, 2, 2, 2, 2];
  test('group scaling: (r - mean) / (std + 1e-4)', () => {
    close(
      groupScaledAdvantages(r, 4),
      [0.75 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, -0.25 / 0.5001, 0, 0, 0, 0],
      1e-12,
    );
  });
  test('no std (Dr. GRPO): r - mean', () => {
    close(groupCenteredAdvantages(r, 4), [0.75, -0.25, -0.25, -0.25, 0, 0, 0, 0], 1e-12);
  });
  test('batch scaling: (r - group mean) / (batch std + 1e-4)', () => {
    // batch mean 1.125; squared deviations 0.015625 + 3 * 1.265625 + 4 * 0.765625 = 6.875; / 7
    const s = Math.sqrt(6.875 / 7);
    assert.ok(Math.abs(sampleStd(r) - s) < 1e-12);
    close(
      batchScaledAdvantages(r, 4),
      [0.75 / (s + 1e-4), -0.25 / (s + 1e-4), -0.25 / (s + 1e-4), -0.25 / (s + 1e-4), 0, 0, 0, 0],
      1e-12,
    );
  });
  test('zero-spread share, selection by name and bad group sizes', () => {
    assert.equal(zeroSpreadShare(r, 4), 0.5);
    assert.equal(zeroSpreadShare([1, 0, 1, 1], 2), 0.5);
    assert.equal(advantageFunction('none'), groupCenteredAdvantages);
    assert.throws(() => groupScaledAdvantages([1, 2, 3], 2), /3 rewards do not split into groups of 2/);
    assert.throws(() => groupScaledAdvantages([1, 2], 1), /groupSize must be an integer >= 2/);
    assert.throws(() => advantageFunction('std' as never), /scale_rewards must be one of group, batch, none/);
  });
});

describe('clipped surrogate, epsilon 0.2 / epsilon_high 0.28', () => {
  // ratio, advantage -> loss, d loss / d logp
  const cases: [number, number, number, number][] = [
    [0.5, 1, -0.5, -0.5], //   below the range, A > 0: unclipped term is the min, gradient flows
    [0.5, -1, 0.8, 0], //      below the range, A < 0: clipped at 0.8, no gradient
    [1.1, 2, -2.2, -2.2], //   inside: plain ratio * A
    [1.1, -2, 2.2, 2.2], //    inside, negative advantage
    [1.5, 1, -1.28, 0], //     above 1.28, A > 0: clipped, no gradient
    [1.5, -1, 1.5, 1.5], //    above, A < 0: unclipped term is the min, gradient flows
  ];
  test('values and gradients', () => {
    e.scope(() => {
      const logp = e.tensor(
        cases.map((c) => Math.log(c[0])),
        [cases.length, 1],
      );
      logp.requiresGrad = true;
      const old = e.zeros([cases.length, 1]);
      const adv = e.tensor(
        cases.map((c) => c[1]),
        [cases.length, 1],
      );
      const loss = clippedSurrogate(logp, old, adv, 0.2, 0.28);
      close(
        loss.toArray(),
        cases.map((c) => c[2]),
        1e-6,
        'loss',
      );
      loss.backward(e.ones(loss.shape));
      close(
        logp.grad!.toArray(),
        cases.map((c) => c[3]),
        1e-6,
        'grad',
      );
      logp.grad!.dispose();
    });
  });
  test('clip fractions follow TRL (low: r < 1-eps with A < 0; high: r > 1+eps_high with A > 0)', () => {
    const ratio = cases.map((c) => c[0]),
      adv = cases.map((c) => c[1]);
    const f = clipFractions(ratio, adv, [1, 1, 1, 1, 1, 1], 1, 0.2, 0.28);
    close([f.low, f.high, f.region], [1 / 6, 1 / 6, 2 / 6], 1e-12);
    const masked = clipFractions(ratio, adv, [0, 1, 1, 1, 0, 1], 1, 0.2, 0.28);
    close([masked.low, masked.high, masked.region], [1 / 4, 0, 1 / 4], 1e-12);
  });
});

describe('k3 KL', () => {
  test('pi_ref/pi - log(pi_ref/pi) - 1 by hand', () => {
    e.scope(() => {
      const logp = e.tensor([Math.log(0.5), 0, -1.3], [1, 3]);
      const ref = e.tensor([0, Math.log(0.5), -1.3], [1, 3]);
      // pi_ref/pi = 2: 2 - ln 2 - 1; = 0.5: 0.5 + ln 2 - 1; equal: 0
      close(k3Kl(logp, ref).toArray(), [1 - Math.LN2, Math.LN2 - 0.5, 0], 1e-6);
    });
  });
  test('beta weighs the KL into the token loss; beta > 0 without reference is an error', () => {
    e.scope(() => {
      const logp = e.tensor([Math.log(0.5)], [1, 1]),
        ref = e.zeros([1, 1]),
        adv = e.tensor([1], [1, 1]);
      const l = grpoTokenLoss({
        logp,
        oldLogp: detach(logp),
        refLogp: ref,
        advantages: adv,
        epsilon: 0.2,
        epsilonHigh: 0.2,
        beta: 0.04,
      });
      close(l.toArray(), [-1 + 0.04 * (1 - Math.LN2)], 1e-6);
      assert.throws(
        () => grpoTokenLoss({ logp, oldLogp: logp, advantages: adv, epsilon: 0.2, epsilonHigh: 0.2, beta: 0.1 }),
        /no reference log-probs/,
      );
    });
  });
});

describe('loss aggregation', () => {
  // Masked positions hold 100 to show they are ignored.
  const per = [1, 2, 3, 100, 4, 5, 100, 100, 100, 100, 100, 100];
  const mask = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0]; // third sequence truncated: fully masked
  const totals: BatchTotals = { sequences: 3, tokens: 5, maxCompletionLength: 4 };
  const run = (agg: typeof grpoAggregate, rows: [number, number]) =>
    e.scope(() =>
      agg(
        e.tensor(per.slice(rows[0] * 4, rows[1] * 4), [rows[1] - rows[0], 4]),
        e.tensor(mask.slice(rows[0] * 4, rows[1] * 4), [rows[1] - rows[0], 4]),
        totals,
      ).item(),
    );
  const cases: [string, typeof grpoAggregate, number][] = [
    ['grpo: (mean(1,2,3) + mean(4,5) + 0) / 3 sequences', grpoAggregate, (2 + 4.5) / 3],
    ['dapo: 15 / 5 tokens', dapoAggregate, 3],
    ['dr_grpo: 15 / (3 sequences * 4)', drGrpoAggregate, 15 / 12],
  ];
  for (const [name, agg, want] of cases) {
    test(name, () => {
      assert.ok(Math.abs(run(agg, [0, 3]) - want) < 1e-6);
      const parts = run(agg, [0, 1]) + run(agg, [1, 2]) + run(agg, [2, 3]);
      assert.ok(Math.abs(parts - want) < 1e-6, `micro-batches sum to ${parts}, expected ${want}`);
    });
  }
  test('selection by loss_type', () => {
    assert.equal(aggregator('dapo'), dapoAggregate);
    assert.throws(() => aggregator('bnpo' as never), /loss_type must be one of grpo, dapo, dr_grpo/);
  });
});

describe('token log-probs', () => {
  test('log softmax(logits / T)[target] and entropy, by hand', () => {
    e.scope(() => {
      const logits = e.tensor([0, Math.log(3), 2, 2], [1, 2, 2]);
      const lp = tokenLogProbs(logits, e.tensor([1, 0], [1, 2], 'i32'));
      close(lp.toArray(), [Math.log(0.75), Math.log(0.5)], 1e-6);
      // Temperature 2 halves the logits: p = softmax(0, ln3 / 2) = [1, sqrt 3] / (1 + sqrt 3).
      const lp2 = tokenLogProbs(logits, e.tensor([1, 0], [1, 2], 'i32'), 2);
      close(lp2.toArray(), [Math.log(Math.sqrt(3) / (1 + Math.sqrt(3))), Math.log(0.5)], 1e-6);
      close(tokenEntropies(logits), [-(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75)), Math.LN2], 1e-6);
    });
  });
});

describe('GRPO gradient on a toy categorical policy', () => {
  const B = 4,
    T = 3,
    V = 5,
    G = 2;
  const rng = new Rng(7);
  const data = (n: number, s = 1) => Array.from({ length: n }, () => s * rng.normal());
  const logits0 = data(B * T * V),
    oldLogits = logits0.map((x) => x + 0.3 * rng.normal()),
    refLogits = data(B * T * V, 0.5);
  const targets = Array.from({ length: B * T }, () => rng.int(V));
  const maskData = [1, 1, 1, 1, 1, 0, 1, 0, 0, 1, 1, 1];
  const adv = groupScaledAdvantages([1, 0, 0.5, 0.75], G);
  for (const lossType of LOSS_TYPES) {
    test(`${lossType}: backward equals central finite differences`, () => {
      const totals: BatchTotals = { sequences: B, tokens: maskData.reduce((a, b) => a + b, 0), maxCompletionLength: T };
      gradcheck(
        e,
        `grpo ${lossType}`,
        (logits: Tensor) => {
          const tgt = e.tensor(targets, [B, T], 'i32');
          const logp = tokenLogProbs(logits, tgt, 0.7);
          const oldLogp = e.noGrad(() => tokenLogProbs(e.tensor(oldLogits, [B, T, V]), tgt, 0.7));
          const refLogp = e.noGrad(() => tokenLogProbs(e.tensor(refLogits, [B, T, V]), tgt, 0.7));
          const per = grpoTokenLoss({
            logp,
            oldLogp,
            refLogp,
            advantages: e.tensor(adv, [B, 1]),
            epsilon: 0.2,
            epsilonHigh: 0.28,
            beta: 0.1,
          });
          return aggregator(lossType)(per, e.tensor(maskData, [B, T]), totals);
        },
        [{ shape: [B, T, V], data: logits0 }],
        { h: 1e-2, atol: 1e-4, rtol: 1e-2 },
      );
    });
  }
  test('on-policy, beta 0, one token: the gradient is the policy gradient -(1/N) sum A_i (onehot(a_i) - p_i)', () => {
    e.scope(() => {
      const logits = e.tensor(logits0.slice(0, B * V), [B, 1, V]);
      logits.requiresGrad = true;
      const tgt = e.tensor(targets.slice(0, B), [B, 1], 'i32');
      const logp = tokenLogProbs(logits, tgt);
      const per = grpoTokenLoss({
        logp,
        oldLogp: detach(logp),
        advantages: e.tensor(adv, [B, 1]),
        epsilon: 0.2,
        epsilonHigh: 0.2,
        beta: 0,
      });
      grpoAggregate(per, e.ones([B, 1]), { sequences: B, tokens: B, maxCompletionLength: 1 }).backward();
      const want: number[] = [];
      for (let i = 0; i < B; i++) {
        const row = logits0.slice(i * V, (i + 1) * V),
          m = Math.max(...row);
        const z = row.reduce((s, x) => s + Math.exp(x - m), 0);
        for (let v = 0; v < V; v++)
          want.push(-(adv[i]! / B) * ((v === targets[i] ? 1 : 0) - Math.exp(row[v]! - m) / z));
      }
      close(logits.grad!.toArray(), want, 1e-5, 'grad');
      logits.grad!.dispose();
    });
  });
});
