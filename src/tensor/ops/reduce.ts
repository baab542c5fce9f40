/**
 * Reductions over one axis or all of them: sum, mean, max, min, logsumexp (with grads), argmax and
 * argmin (int32, no grad), and sumTo, the reduction that undoes broadcasting in binary-op grads.
 * Kernels see a contiguous [outer, len, inner] view.
 */
import { ReduceOp } from '../../kernels/backend.js';
import { fmtShape, type Tensor } from '../tensor.js';
import { checkF32, normAxis, prod, record } from './common.js';
import { div, eq, exp, mul, sub } from './elementwise.js';
import { expand, reshape } from './views.js';

export interface ReduceOptions {
  keepdim?: boolean;
}

/** Reduces one axis (or all when axis is undefined) with a kernel op; no grad recorded here. */
function reduceRaw(name: string, op: ReduceOp, x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  checkF32(name, 'x', x);
  if (x.size === 0) throw new Error(`${name}: cannot reduce an empty tensor of shape ${fmtShape(x.shape)}`);
  const src = x.engine.contiguous(x);
  const dtype = op === ReduceOp.ARGMAX || op === ReduceOp.ARGMIN ? 'i32' : 'f32';
  let outer: number, len: number, inner: number, shape: number[];
  if (axis === undefined) {
    outer = 1;
    len = x.size;
    inner = 1;
    shape = keepdim ? x.shape.map(() => 1) : [];
  } else {
    const a = normAxis(name, axis, x.rank, x.shape);
    outer = prod(x.shape, 0, a);
    len = x.shape[a]!;
    inner = prod(x.shape, a + 1);
    shape = [...x.shape];
    if (keepdim) shape[a] = 1;
    else shape.splice(a, 1);
  }
  const out = x.engine.empty(shape, dtype);
  x.engine.backend.reduce(op, src.ptr, out.ptr, outer, len, inner);
  return out;
}

/** The reduced shape with the reduced axes kept as 1 (for broadcasting gradients back). */
function keptShape(x: Tensor, axis: number | undefined): number[] {
  if (axis === undefined) return x.shape.map(() => 1);
  const a = normAxis('reduce', axis, x.rank, x.shape);
  const s = [...x.shape];
  s[a] = 1;
  return s;
}

export function sum(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  const out = reduceRaw('sum', ReduceOp.SUM, x, axis, opts.keepdim ?? false);
  return record(out, 'sum', [x], (g) => [expand(reshape(g, keptShape(x, axis)), x.shape)]);
}

export function mean(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  const n = axis === undefined ? x.size : x.shape[normAxis('mean', axis, x.rank, x.shape)]!;
  return div(sum(x, axis, opts), n);
}

function extreme(name: string, op: ReduceOp, x: Tensor, axis: number | undefined, opts: ReduceOptions): Tensor {
  const out = reduceRaw(name, op, x, axis, opts.keepdim ?? false);
  return record(out, name, [x], (g) => {
    // The gradient is shared equally by all positions that attain the extreme.
    const ks = keptShape(x, axis);
    const mask = eq(x, reshape(out, ks));
    const count = reduceRaw('sum', ReduceOp.SUM, mask, axis, true);
    return [mul(mask, div(reshape(g, ks), count))];
  });
}

export const max = (x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor =>
  extreme('max', ReduceOp.MAX, x, axis, opts);
export const min = (x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor =>
  extreme('min', ReduceOp.MIN, x, axis, opts);

/** log(sum(exp(x))) over an axis, computed stably. */
export function logsumexp(x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor {
  const out = reduceRaw('logsumexp', ReduceOp.LOGSUMEXP, x, axis, opts.keepdim ?? false);
  return record(out, 'logsumexp', [x], (g) => {
    const ks = keptShape(x, axis);
    return [mul(exp(sub(x, reshape(out, ks))), reshape(g, ks))];
  });
}

/** Index of the largest element along an axis (first one on ties), int32. */
export const argmax = (x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor =>
  reduceRaw('argmax', ReduceOp.ARGMAX, x, axis, opts.keepdim ?? false);
export const argmin = (x: Tensor, axis?: number, opts: ReduceOptions = {}): Tensor =>
  reduceRaw('argmin', ReduceOp.ARGMIN, x, axis, opts.keepdim ?? false);

/** Sums g over the dims that broadcasting added or expanded, giving a tensor of `shape`. */
export function sumTo(g: Tensor, shape: readonly number[]): Tensor {
  if (g.shape.length === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  let r = g;
  const lead = g.rank - shape.length;
  if (lead < 0) throw new Error(`sumTo: cannot reduce ${fmtShape(g.shape)} to the larger rank of ${fmtShape(shape)}`);
  if (lead > 0) r = sum(reshape(r, [prod(g.shape, 0, lead), ...g.shape.slice(lead)]), 0);
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] === 1 && r.shape[i] !== 1) r = sum(r, i, { keepdim: true });
    else if (shape[i] !== r.shape[i])
      throw new Error(`sumTo: dim ${i} of ${fmtShape(g.shape)} cannot reduce to ${fmtShape(shape)}`);
  }
  return r;
}
