/**
 * Index ops: embedding lookup and index-select (backward: index-add / scatter-add of rows), gather
 * and scatter-add along an axis, top-k along the last axis (values carry a gradient, indices are
 * int32), and cumulative sum. Index values are range-checked before any kernel runs, so a bad token id
 * is an error naming the op, the position and the valid range, never a read outside the tensor.
 */
import { fmtShape, type Tensor } from '../tensor.js';
import { checkF32, checkI32, normAxis, prod, record, sameShape } from './common.js';
import { reshape } from './views.js';

function checkIndices(op: string, idx: Tensor, bound: number): void {
  const v = idx.engine.read(idx);
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < 0 || x >= bound) throw new Error(`${op}: index ${x} at position ${i} is out of range [0, ${bound})`);
  }
}

/** Rows of `x` along `axis` picked by a 1-D int32 index: out.shape[axis] = idx.size. */
export function indexSelect(x: Tensor, axis: number, idx: Tensor): Tensor {
  x.assertAlive('indexSelect', 'x');
  checkI32('indexSelect', 'idx', idx);
  const a = normAxis('indexSelect', axis, x.rank, x.shape);
  if (idx.rank !== 1) throw new Error(`indexSelect: idx must be 1-D, got ${fmtShape(idx.shape)}`);
  checkIndices('indexSelect', idx, x.shape[a]!);
  const e = x.engine,
    X = e.contiguous(x),
    I = e.contiguous(idx);
  const outer = prod(x.shape, 0, a),
    inner = prod(x.shape, a + 1),
    n = idx.size;
  const shape = [...x.shape];
  shape[a] = n;
  const out = e.empty(shape, x.dtype);
  e.backend.indexSelect(X.ptr, I.ptr, out.ptr, outer, x.shape[a]!, n, inner);
  return record(out, 'indexSelect', [x], (g) => {
    const dx = e.zeros(x.shape),
      G = e.contiguous(g);
    e.backend.indexAdd(G.ptr, I.ptr, dx.ptr, outer, x.shape[a]!, n, inner);
    return [dx];
  });
}

/** Embedding lookup: weight [V, D], int32 ids of any shape -> [...ids.shape, D]. */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  checkF32('embedding', 'weight', weight);
  checkI32('embedding', 'ids', ids);
  if (weight.rank !== 2) throw new Error(`embedding: weight must be [vocab, dim], got ${fmtShape(weight.shape)}`);
  const rows = indexSelect(weight, 0, reshape(ids, [ids.size])); // (N, D)
  return reshape(rows, [...ids.shape, weight.shape[1]!]); // (...ids, D)
}

/** out[..., j, ...] = x[..., idx[..., j, ...], ...] along `axis`; idx has x's shape except on axis. */
export function gather(x: Tensor, axis: number, idx: Tensor): Tensor {
  checkF32('gather', 'x', x);
  checkI32('gather', 'idx', idx);
  const a = normAxis('gather', axis, x.rank, x.shape);
  if (idx.rank !== x.rank || idx.shape.some((d, i) => i !== a && d !== x.shape[i])) {
    throw new Error(`gather: idx ${fmtShape(idx.shape)} must match x ${fmtShape(x.shape)} on every dim but ${a}`);
  }
  checkIndices('gather', idx, x.shape[a]!);
  const e = x.engine,
    X = e.contiguous(x),
    I = e.contiguous(idx);
  const outer = prod(x.shape, 0, a),
    inner = prod(x.shape, a + 1),
    len = idx.shape[a]!;
  const out = e.empty(idx.shape);
  e.backend.gather(X.ptr, I.ptr, out.ptr, outer, x.shape[a]!, len, inner);
  return record(out, 'gather', [x], (g) => {
    const dx = e.zeros(x.shape),
      G = e.contiguous(g);
    e.backend.scatterAdd(G.ptr, I.ptr, dx.ptr, outer, x.shape[a]!, len, inner);
    return [dx];
  });
}

/** x with src added at the positions idx names along `axis` (a new tensor; x is unchanged). */
export function scatterAdd(x: Tensor, axis: number, idx: Tensor, src: Tensor): Tensor {
  checkF32('scatterAdd', 'x', x);
  checkI32('scatterAdd', 'idx', idx);
  checkF32('scatterAdd', 'src', src);
  const a = normAxis('scatterAdd', axis, x.rank, x.shape);
  if (
    !sameShape(idx.shape, src.shape) ||
    idx.rank !== x.rank ||
    idx.shape.some((d, i) => i !== a && d !== x.shape[i])
  ) {
    throw new Error(
      `scatterAdd: idx ${fmtShape(idx.shape)} and src ${fmtShape(src.shape)} must be equal and match x ${fmtShape(x.shape)} on every dim but ${a}`,
    );
  }
  checkIndices('scatterAdd', idx, x.shape[a]!);
  const e = x.engine,
    I = e.contiguous(idx),
    S = e.contiguous(src);
  const out = e.empty(x.shape);
  e.backend.copy(x.ptr, x.strides, out.ptr, out.strides, x.shape);
  const outer = prod(x.shape, 0, a),
    inner = prod(x.shape, a + 1),
    len = idx.shape[a]!;
  e.backend.scatterAdd(S.ptr, I.ptr, out.ptr, outer, x.shape[a]!, len, inner);
  return record(out, 'scatterAdd', [x, src], (g) => {
    const G = e.contiguous(g),
      ds = e.empty(src.shape);
    e.backend.gather(G.ptr, I.ptr, ds.ptr, outer, x.shape[a]!, len, inner);
    return [g, ds];
  });
}

/** The k largest values along the last axis (descending, ties to the lower index) and their indices. */
export function topk(x: Tensor, k: number): { values: Tensor; indices: Tensor } {
  checkF32('topk', 'x', x);
  const cols = x.shape[x.rank - 1] ?? 1;
  if (!Number.isInteger(k) || k < 1 || k > cols)
    throw new Error(`topk: k=${k} must be in [1, ${cols}] for x ${fmtShape(x.shape)}`);
  const e = x.engine,
    X = e.contiguous(x),
    rows = prod(x.shape, 0, x.rank - 1);
  const shape = [...x.shape.slice(0, -1), k];
  const values = e.empty(shape),
    indices = e.empty(shape, 'i32');
  e.backend.topk(X.ptr, values.ptr, indices.ptr, rows, cols, k);
  record(values, 'topk', [x], (g) => {
    const dx = e.zeros(x.shape),
      G = e.contiguous(g);
    e.backend.scatterAdd(G.ptr, indices.ptr, dx.ptr, rows, cols, k, 1);
    return [dx];
  });
  return { values, indices };
}

/** Inclusive cumulative sum along `axis` (reverse: from the end). */
export function cumsum(x: Tensor, axis: number, reverse = false): Tensor {
  checkF32('cumsum', 'x', x);
  const a = normAxis('cumsum', axis, x.rank, x.shape);
  const e = x.engine,
    X = e.contiguous(x),
    out = e.empty(x.shape);
  const outer = prod(x.shape, 0, a),
    len = x.shape[a]!,
    inner = prod(x.shape, a + 1);
  e.backend.cumsum(X.ptr, out.ptr, outer, len, inner, reverse);
  return record(out, 'cumsum', [x], (g) => [cumsum(g, a, !reverse)]);
}
