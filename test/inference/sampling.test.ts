/**
 * Sampling: greedy, log-probabilities, temperature / top-k / top-p truncation checked against
 * hand-computed sets and a brute-force full sort, draw frequencies, and seeds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  argmax,
  checkSamplingParams,
  logprobOf,
  makeSampler,
  R1_SAMPLING,
  truncatedDistribution,
  greedySampler,
} from '../../src/inference/sampling.js';
import { Rng } from '../../src/tensor/rng.js';

const logitsOf = (probs: number[]) => Float32Array.from(probs, Math.log);

test('argmax takes the first maximum; logprobOf is log softmax', () => {
  assert.equal(argmax(Float32Array.from([1, 3, 3, 2])), 1);
  const l = Float32Array.from([0, Math.log(3)]); // softmax = [1/4, 3/4]
  assert.ok(Math.abs(logprobOf(l, 1) - Math.log(0.75)) < 1e-6);
  assert.ok(Math.abs(logprobOf(l, 0) - Math.log(0.25)) < 1e-6);
});

test('top-p keeps the smallest prefix reaching p; top-k runs first and top-p is relative to it', () => {
  const l = logitsOf([0.15, 0.5, 0.05, 0.3]);
  assert.deepEqual([...truncatedDistribution(l, 1, 0, 0.79).ids], [1, 3]); // 0.5 + 0.3 >= 0.79
  assert.deepEqual([...truncatedDistribution(l, 1, 0, 0.81).ids], [1, 3, 0]);
  assert.deepEqual([...truncatedDistribution(l, 1, 0, 1).ids], [1, 3, 0, 2]);
  assert.deepEqual([...truncatedDistribution(l, 1, 2, 1).ids], [1, 3]);
  // top-3 mass 0.95; 0.9 * 0.95 = 0.855 > 0.8, so the third token is needed.
  assert.deepEqual([...truncatedDistribution(l, 1, 3, 0.9).ids], [1, 3, 0]);
  // Temperature 0.5 squares the probabilities: [0.0225, 0.25, 0.0025, 0.09] / 0.365.
  const t = truncatedDistribution(l, 0.5, 0, 1);
  const sum = t.probs.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(t.probs[0]! / sum - 0.25 / 0.365) < 1e-6);
});

test('threshold search equals a brute-force full sort on a large random vocabulary', () => {
  const rng = new Rng(3);
  const V = 5000;
  const l = Float32Array.from({ length: V }, () => rng.normal() * 3);
  for (const [T, k, p] of [
    [1, 0, 0.95],
    [0.6, 0, 0.95],
    [0.7, 40, 0.9],
    [1.3, 0, 0.5],
    [1, 7, 1],
  ] as const) {
    const probs = Array.from(l, (x) => Math.exp(x / T));
    const order = [...probs.keys()].sort((a, b) => probs[b]! - probs[a]! || a - b);
    const top = k > 0 ? order.slice(0, k) : order;
    const ref = top.reduce((a, i) => a + probs[i]!, 0);
    let cum = 0,
      cut = top.length;
    for (let j = 0; j < top.length; j++) {
      cum += probs[top[j]!]!;
      if (cum >= p * ref) {
        cut = j + 1;
        break;
      }
    }
    assert.deepEqual([...truncatedDistribution(l, T, k, p).ids], top.slice(0, cut), `T=${T} k=${k} p=${p}`);
  }
});

test('draws follow the truncated distribution', () => {
  const l = logitsOf([0.15, 0.5, 0.05, 0.3]);
  const sample = makeSampler({ temperature: 1, topK: 0, topP: 0.9 }); // keeps 1, 3, 0: 0.5/0.95, 0.3/0.95, 0.15/0.95
  const rng = new Rng(7);
  const counts = [0, 0, 0, 0];
  const n = 20000;
  for (let i = 0; i < n; i++) counts[sample(l, rng)]!++;
  assert.equal(counts[2], 0);
  for (const [id, p] of [
    [1, 0.5 / 0.95],
    [3, 0.3 / 0.95],
    [0, 0.15 / 0.95],
  ] as const) {
    const sd = Math.sqrt((p * (1 - p)) / n);
    assert.ok(Math.abs(counts[id]! / n - p) < 5 * sd, `token ${id}: ${counts[id]! / n} vs ${p}`);
  }
});

test('same seed, same draws; temperature 0 and top-k 1 are greedy', () => {
  const l = Float32Array.from({ length: 100 }, (_, i) => Math.sin(i));
  const s = makeSampler(R1_SAMPLING);
  const draw = (seed: number) => {
    const r = new Rng(seed);
    return Array.from({ length: 50 }, () => s(l, r));
  };
  assert.deepEqual(draw(1), draw(1));
  assert.notDeepEqual(draw(1), draw(2));
  assert.equal(makeSampler({ temperature: 0, topK: 0, topP: 1 }), greedySampler);
  assert.equal(makeSampler({ temperature: 1, topK: 1, topP: 1 }), greedySampler);
});

test('bad settings are refused with the field name', () => {
  assert.throws(() => checkSamplingParams({ ...R1_SAMPLING, temperature: -1 }), /temperature must be/);
  assert.throws(() => checkSamplingParams({ ...R1_SAMPLING, topP: 0 }), /topP must be in \(0, 1\]/);
  assert.throws(() => checkSamplingParams({ ...R1_SAMPLING, topK: 1.5 }), /topK/);
  assert.throws(() => checkSamplingParams({ ...R1_SAMPLING, maxNewTokens: 0 }), /maxNewTokens/);
  assert.throws(() => checkSamplingParams({ ...R1_SAMPLING, stopTokens: [-1] }), /stopTokens/);
});
