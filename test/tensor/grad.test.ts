/**
 * Finite-difference gradient checks for every differentiable op and fused op, on every backend:
 * broadcasting, size-1 dims, transposed views and an input used twice included.
 */
import { describe, it } from 'node:test';
import * as T from '../../src/tensor/index.js';
import type { Tensor } from '../../src/tensor/index.js';
import { gradcheck, type GradInput } from '../helpers/gradcheck.js';
import { forEachBackend } from '../helpers/backends.js';

type Case = [name: string, fn: (...xs: Tensor[]) => Tensor, inputs: GradInput[]];
const pos = (shape: number[]): GradInput => ({ shape, lo: 0.5, hi: 2 });
const any = (shape: number[]): GradInput => ({ shape });
/** Values spread apart so max/min/abs/relu/topk/clamp stay away from their kinks and ties. */
const spread = (shape: number[], seed = 0): GradInput => {
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: n }, (_, i) => ((i * 7 + seed * 3) % n) - n / 2 + 0.25);
  return { shape, data: perm.map((v) => v * 0.3) };
};
const ints = (shape: number[], data: number[]): GradInput => ({ shape, data, int: true });

const cases: Case[] = [
  ['neg', T.neg, [any([3, 4])]],
  ['exp', T.exp, [any([5])]],
  ['log', T.log, [pos([2, 3])]],
  ['sqrt', T.sqrt, [pos([7])]],
  ['rsqrt', T.rsqrt, [pos([2, 1, 3])]],
  ['sigmoid', T.sigmoid, [any([9])]],
  ['silu', T.silu, [any([3, 3])]],
  ['tanh', T.tanh, [any([4])]],
  ['abs', T.abs, [spread([6])]],
  ['square', T.square, [any([5])]],
  ['relu', T.relu, [spread([6])]],
  ['add broadcast', T.add, [any([2, 3, 4]), any([3, 1])]],
  ['sub broadcast size-1', T.sub, [any([2, 1, 4]), any([1, 3, 1])]],
  ['mul broadcast', T.mul, [any([4, 3]), any([3])]],
  ['div', T.div, [any([2, 3]), pos([2, 3])]],
  ['pow tensor-tensor', T.pow, [pos([3, 2]), any([2])]],
  ['pow scalar exponent', (x) => T.pow(x, 3), [any([5])]],
  ['scalar ops', (x) => T.div(T.sub(2, T.mul(x, 3)), T.add(T.mul(x, x), 4)), [any([6])]],
  ['maximum', T.maximum, [spread([2, 3], 0), spread([3], 1)]],
  ['minimum', T.minimum, [spread([2, 3], 2), spread([2, 1], 3)]],
  ['clamp', (x) => T.clamp(x, -0.5, 0.6), [spread([8])]],
  ['where', (c, a, b) => T.where(T.gt(c, 0), a, b), [{ ...spread([2, 3]), constant: true }, any([2, 3]), any([3])]],
  ['input used twice: x*x + exp(x)', (x) => T.add(T.mul(x, x), T.exp(x)), [any([3, 2])]],
  ['input used twice via views', (x) => T.matmul(x, T.transpose(x)), [any([3, 4])]],
  ['sum all', (x) => T.sum(x), [any([2, 3])]],
  ['sum axis keepdim', (x) => T.sum(x, 1, { keepdim: true }), [any([2, 3, 2])]],
  ['mean axis', (x) => T.mean(x, -1), [any([3, 4])]],
  ['max axis', (x) => T.max(x, 0), [spread([3, 4])]],
  ['min all', (x) => T.min(x), [spread([5])]],
  ['logsumexp', (x) => T.logsumexp(x, 1), [any([2, 5])]],
  ['reshape', (x) => T.mul(T.reshape(x, [3, -1]), T.reshape(x, [3, 4])), [any([2, 6])]],
  ['permute', (x) => T.contiguous(T.permute(x, [2, 0, 1])), [any([2, 3, 4])]],
  ['slice', (x) => T.slice(x, 1, 1, 3), [any([2, 4])]],
  ['expand', (x) => T.mul(T.expand(x, [3, 2, 4]), 2), [any([2, 1])]],
  ['unsqueeze/squeeze', (x) => T.squeeze(T.unsqueeze(x, 1), 1), [any([3, 2])]],
  ['concat', (a, b) => T.concat([a, b, a], 1), [any([2, 2]), any([2, 3])]],
  [
    'split',
    (x) => {
      const [p, q] = T.split(x, [1, 2], 0);
      return T.add(p!, T.sum(q!, 0, { keepdim: true }));
    },
    [any([3, 2])],
  ],
  ['stack', (a, b) => T.stack([a, b], 1), [any([2, 3]), any([2, 3])]],
  ['matmul 2d', T.matmul, [any([3, 4]), any([4, 5])]],
  ['matmul batched broadcast', T.matmul, [any([2, 3, 4]), any([4, 2])]],
  ['matmul batch broadcast both', T.matmul, [any([2, 1, 3, 4]), any([1, 3, 4, 2])]],
  ['matmul transposed operands', (a, b) => T.matmul(T.transpose(a), T.transpose(b)), [any([4, 3]), any([2, 4])]],
  ['softmax', T.softmax, [any([3, 5])]],
  ['logSoftmax', T.logSoftmax, [any([2, 1, 4])]],
  ['crossEntropy ignore-index', (x, t) => T.crossEntropy(x, t, -100), [any([4, 5]), ints([4], [1, -100, 4, 0])]],
  ['crossEntropy 3d', (x, t) => T.crossEntropy(x, t), [any([2, 2, 3]), ints([2, 2], [2, 0, 1, 1])]],
  ['rmsNorm', (x, w) => T.rmsNorm(x, w, 1e-6), [any([3, 4]), any([4])]],
  ['swiglu', T.swiglu, [any([2, 5]), any([2, 5])]],
  [
    'attention causal',
    (q, k, v) => T.attention(q, k, v, { causal: true }),
    [any([1, 2, 3, 4]), any([1, 2, 3, 4]), any([1, 2, 3, 2])],
  ],
  [
    'attention grouped heads, Tq < Tk, scale',
    (q, k, v) => T.attention(q, k, v, { causal: true, scale: 0.7 }),
    [any([2, 4, 2, 3]), any([2, 2, 4, 3]), any([2, 2, 4, 5])],
  ],
  [
    'attention additive mask',
    (q, k, v, m) => T.attention(q, k, v, { mask: m }),
    [
      any([2, 1, 2, 3]),
      any([2, 1, 3, 3]),
      any([2, 1, 3, 2]),
      { shape: [2, 2, 3], data: [0, -1e30, 0, 0, 0, 0.5, 0, 0, -1e30, 0, 0, 0], constant: true },
    ],
  ],
  ['embedding', (w, ids) => T.embedding(w, ids), [any([5, 3]), ints([2, 2], [4, 0, 4, 2])]],
  ['indexSelect axis 1', (x, i) => T.indexSelect(x, 1, i), [any([2, 4, 2]), ints([3], [3, 1, 3])]],
  ['gather', (x, i) => T.gather(x, 1, i), [any([2, 4]), ints([2, 3], [0, 3, 3, 1, 2, 0])]],
  ['scatterAdd', (x, i, s) => T.scatterAdd(x, 0, i, s), [any([3, 2]), ints([2, 2], [2, 0, 2, 2]), any([2, 2])]],
  ['topk values', (x) => T.topk(x, 2).values, [spread([3, 4])]],
  ['cumsum', (x) => T.cumsum(x, 1), [any([2, 4])]],
  ['cumsum reverse', (x) => T.cumsum(x, 0, true), [any([3, 2])]],
];

forEachBackend((name, engine) => {
  describe(`gradients (${name})`, () => {
    for (const [label, fn, inputs] of cases) it(label, () => gradcheck(engine(), label, fn, inputs));
  });
});
