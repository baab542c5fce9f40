/**
 * Bad input raises errors that name the op, the argument and the shapes or values involved.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import * as T from '../../src/tensor/index.js';
import { Engine } from '../../src/tensor/index.js';

describe('errors', () => {
  const e = new Engine(createReferenceBackend());
  const throwsLike = (fn: () => unknown, ...parts: string[]) =>
    assert.throws(
      fn,
      (err: Error) =>
        parts.every((p) => err.message.includes(p)) ||
        assert.fail(`message "${err.message}" lacks one of ${JSON.stringify(parts)}`),
    );

  it('mismatched shapes', () =>
    e.scope(() => {
      throwsLike(() => T.add(e.zeros([2, 3]), e.zeros([4])), 'add', '[2, 3]', '[4]');
      throwsLike(() => T.matmul(e.zeros([2, 3]), e.zeros([4, 5])), 'matmul', 'K=3', '[4, 5]');
      throwsLike(() => T.reshape(e.zeros([2, 3]), [4]), 'reshape', '[4]', '6');
      throwsLike(
        () => T.attention(e.zeros([1, 2, 3, 4]), e.zeros([1, 3, 3, 4]), e.zeros([1, 3, 3, 4])),
        'attention',
        '[1, 2, 3, 4]',
      );
      throwsLike(() => T.rmsNorm(e.zeros([2, 3]), e.zeros([4]), 1e-6), 'rmsNorm', 'weight', '[4]');
      throwsLike(() => T.slice(e.zeros([2, 3]), 1, 2, 5), 'slice', '[2, 5)', '[2, 3]');
      throwsLike(() => T.sum(e.zeros([2, 3]), 2), 'sum', 'axis 2', '[2, 3]');
    }));

  it('wrong dtypes', () =>
    e.scope(() => {
      const ids = e.tensor([0, 1], [2], 'i32');
      throwsLike(() => T.exp(ids), 'exp', 'argument x', 'f32', 'i32');
      throwsLike(() => T.embedding(e.zeros([3, 2]), e.zeros([2])), 'embedding', 'ids', 'i32');
      throwsLike(() => T.crossEntropy(e.zeros([2, 3]), e.zeros([2])), 'crossEntropy', 'targets', 'i32');
    }));

  it('out-of-range indices', () =>
    e.scope(() => {
      throwsLike(
        () => T.embedding(e.zeros([3, 2]), e.tensor([0, 3], [2], 'i32')),
        'indexSelect',
        'index 3',
        'position 1',
        '[0, 3)',
      );
      throwsLike(
        () => T.crossEntropy(e.zeros([2, 3]), e.tensor([0, 7], [2], 'i32')),
        'crossEntropy',
        'target 7',
        '[0, 3)',
      );
      throwsLike(() => T.gather(e.zeros([2, 3]), 1, e.tensor([0, -1, 0, 0], [2, 2], 'i32')), 'gather', 'index -1');
      throwsLike(() => T.topk(e.zeros([2, 3]), 4), 'topk', 'k=4', '[1, 3]');
    }));

  it('a disposed tensor used again', () =>
    e.scope(() => {
      const x = e.ones([2, 2]);
      x.dispose();
      throwsLike(() => T.mul(x, 2), 'mul', 'argument a', 'disposed');
      throwsLike(() => x.toArray(), 'disposed');
    }));

  it('tensor data that does not fit its shape', () => {
    throwsLike(() => e.tensor([1, 2, 3], [2, 2]), 'tensor', '3 values', '[2, 2]');
    throwsLike(() => e.empty([2, -1]), 'empty', '[2, -1]');
  });

  it('asking for more than wasm32 memory names the request and the live bytes', () => {
    throwsLike(() => e.empty([1 << 30, 2]), 'out of memory', `${2 ** 33} bytes`, 'live', '4 GiB');
  });

  it('backward of a non-scalar needs a gradient', () =>
    e.scope(() => {
      const x = e.ones([2]);
      x.requiresGrad = true;
      throwsLike(() => T.mul(x, 2).backward(), 'backward', '[2]');
    }));
});
