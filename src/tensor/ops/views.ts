/**
 * Shape ops: views where the layout allows (reshape of contiguous data, transpose/permute, slice,
 * expand, (un)squeeze) and copies otherwise (contiguous, concat, stack). Each has its grad rule:
 * views map the gradient back through the inverse view; expand sums over the broadcast dims.
 */
import { fmtShape, shapeSize, type Tensor } from '../tensor.js';
import { normAxis, prod, record, sameShape, wantsGrad } from './common.js';
import { sumTo } from './reduce.js';

/** A contiguous version of x (x itself when already contiguous). */
export function contiguous(x: Tensor): Tensor {
  x.assertAlive('contiguous', 'x');
  if (x.isContiguous) return x;
  const out = x.engine.contiguous(x);
  return record(out, 'contiguous', [x], (g) => [g]);
}

/** Same elements, new shape; one dim may be -1. A view when x is contiguous, else a copy. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive('reshape', 'x');
  const target = [...shape];
  const infer = target.indexOf(-1);
  if (infer >= 0) {
    const rest = shapeSize(target.filter((_, i) => i !== infer));
    if (rest === 0 || x.size % rest !== 0)
      throw new Error(`reshape: cannot infer -1 in ${fmtShape(shape)} for ${x.size} elements`);
    target[infer] = x.size / rest;
  }
  if (shapeSize(target) !== x.size || target.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`reshape: shape ${fmtShape(shape)} does not hold the ${x.size} elements of ${fmtShape(x.shape)}`);
  }
  if (sameShape(target, x.shape)) return x;
  const src = contiguous(x);
  const strides = new Array<number>(target.length);
  let acc = 1;
  for (let d = target.length - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= target[d]!;
  }
  const out = x.engine.view(src, target, strides, src.offset);
  const inShape = x.shape;
  return record(out, 'reshape', [src], (g) => [reshape(g, inShape)]);
}

/** Reorders dims: out.shape[i] = x.shape[perm[i]]. Always a view. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  x.assertAlive('permute', 'x');
  const p = perm.map((a) => normAxis('permute', a, x.rank, x.shape));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${x.rank} dims of ${fmtShape(x.shape)}`);
  }
  const out = x.engine.view(
    x,
    p.map((a) => x.shape[a]!),
    p.map((a) => x.strides[a]!),
    x.offset,
  );
  const inv = new Array<number>(p.length);
  p.forEach((a, i) => {
    inv[a] = i;
  });
  return record(out, 'permute', [x], (g) => [permute(g, inv)]);
}

/** Swaps two dims (a view). */
export function transpose(x: Tensor, d0 = -2, d1 = -1): Tensor {
  const a = normAxis('transpose', d0, x.rank, x.shape),
    b = normAxis('transpose', d1, x.rank, x.shape);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Elements start <= i < end along `axis` (a view). */
export function slice(x: Tensor, axis: number, start: number, end: number): Tensor {
  x.assertAlive('slice', 'x');
  const a = normAxis('slice', axis, x.rank, x.shape);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > x.shape[a]! || start > end) {
    throw new Error(`slice: range [${start}, ${end}) is out of bounds for axis ${a} of ${fmtShape(x.shape)}`);
  }
  const shape = [...x.shape];
  shape[a] = end - start;
  const out = x.engine.view(x, shape, x.strides, x.offset + start * x.strides[a]!);
  if (!wantsGrad(x)) return out;
  const inShape = x.shape;
  return record(out, 'slice', [x], (g) => {
    const full = g.engine.zeros(inShape);
    const region = g.engine.view(full, g.shape, full.strides, start * full.strides[a]!);
    g.engine.backend.copy(g.ptr, g.strides, region.ptr, region.strides, g.shape);
    return [full];
  });
}

/** Broadcasts size-1 dims (and new leading dims) to `shape` without copying. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  x.assertAlive('expand', 'x');
  const off = shape.length - x.rank;
  if (off < 0) throw new Error(`expand: cannot expand ${fmtShape(x.shape)} to fewer dims ${fmtShape(shape)}`);
  const strides = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < x.rank; i++) {
    const d = x.shape[i]!,
      t = shape[off + i]!;
    if (d !== t && d !== 1)
      throw new Error(`expand: dim ${i} of ${fmtShape(x.shape)} is ${d}, cannot expand to ${t} in ${fmtShape(shape)}`);
    strides[off + i] = d === t ? x.strides[i]! : 0;
  }
  if (sameShape(shape, x.shape)) return x;
  const out = x.engine.view(x, shape, strides, x.offset);
  const inShape = x.shape;
  return record(out, 'expand', [x], (g) => [sumTo(g, inShape)]);
}

export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = axis < 0 ? axis + x.rank + 1 : axis;
  if (a < 0 || a > x.rank) throw new Error(`unsqueeze: axis ${axis} is out of range for shape ${fmtShape(x.shape)}`);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshapeView(x, shape, 'unsqueeze');
}

export function squeeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('squeeze', axis, x.rank, x.shape);
  if (x.shape[a] !== 1)
    throw new Error(`squeeze: axis ${a} of ${fmtShape(x.shape)} has size ${x.shape[a]}, expected 1`);
  const shape = x.shape.filter((_, i) => i !== a);
  return reshapeView(x, shape, 'squeeze');
}

/** Reshape that only inserts or removes size-1 dims: always a view, whatever the strides. */
function reshapeView(x: Tensor, shape: number[], op: string): Tensor {
  x.assertAlive(op, 'x');
  // Only size-1 dims change, so the non-1 dims keep their strides in order.
  const kept = x.strides.filter((_, i) => x.shape[i] !== 1);
  let j = 0;
  const strides = shape.map((d) => (d === 1 ? 0 : kept[j++]!));
  const out = x.engine.view(x, shape, strides, x.offset);
  const inShape = x.shape;
  return record(out, op, [x], (g) => [reshape(g, inShape)]);
}

/** Joins tensors along `axis` (a copy). */
export function concat(xs: readonly Tensor[], axis: number): Tensor {
  if (xs.length === 0) throw new Error('concat: needs at least one tensor');
  const first = xs[0]!;
  const a = normAxis('concat', axis, first.rank, first.shape);
  xs.forEach((x, i) => {
    x.assertAlive('concat', `xs[${i}]`);
    if (x.dtype !== first.dtype || x.rank !== first.rank || x.shape.some((d, k) => k !== a && d !== first.shape[k])) {
      throw new Error(
        `concat: xs[${i}] has shape ${fmtShape(x.shape)} (${x.dtype}), incompatible with ${fmtShape(first.shape)} (${first.dtype}) along axis ${a}`,
      );
    }
  });
  const shape = [...first.shape];
  shape[a] = xs.reduce((s, x) => s + x.shape[a]!, 0);
  const e = first.engine;
  const out = e.empty(shape, first.dtype);
  let at = 0;
  const starts: number[] = [];
  for (const x of xs) {
    starts.push(at);
    e.backend.copy(x.ptr, x.strides, out.ptr + at * out.strides[a]! * 4, out.strides, x.shape);
    at += x.shape[a]!;
  }
  return record(out, 'concat', xs, (g) => xs.map((x, i) => slice(g, a, starts[i]!, starts[i]! + x.shape[a]!)));
}

/** Splits along `axis` into pieces of the given sizes (views). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const a = normAxis('split', axis, x.rank, x.shape);
  const total = sizes.reduce((s, n) => s + n, 0);
  if (total !== x.shape[a])
    throw new Error(
      `split: sizes [${sizes.join(', ')}] sum to ${total}, but axis ${a} of ${fmtShape(x.shape)} has ${x.shape[a]}`,
    );
  let at = 0;
  return sizes.map((n) => {
    const s = slice(x, a, at, at + n);
    at += n;
    return s;
  });
}

/** Stacks same-shape tensors along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new Error('stack: needs at least one tensor');
  return concat(
    xs.map((x) => unsqueeze(x, axis)),
    axis,
  );
}

/** Collapses dims [from, to] into one. */
export function flatten(x: Tensor, from = 0, to = -1): Tensor {
  const a = normAxis('flatten', from, x.rank, x.shape),
    b = normAxis('flatten', to, x.rank, x.shape);
  return reshape(x, [...x.shape.slice(0, a), prod(x.shape, a, b + 1), ...x.shape.slice(b + 1)]);
}

/** The same values cut off from autograd: a view that records no grad node. */
export function detach(x: Tensor): Tensor {
  x.assertAlive('detach', 'x');
  return x.engine.view(x, x.shape, x.strides, x.offset);
}
