/**
 * Shared plumbing of the ops: argument checks with errors that name the op, the argument and the
 * shapes, broadcasting, dimension coalescing for strided kernels, and recording a grad node.
 */
import { needsGrad } from '../engine.js';
import { fmtShape, type GradNode, type Tensor } from '../tensor.js';

/** Attaches a grad node to `out` when grad mode is on and an input needs grad. Returns `out`. */
export function record(out: Tensor, op: string, inputs: readonly Tensor[], backward: GradNode['backward']): Tensor {
  if (out.engine.isGradEnabled && inputs.some(needsGrad)) out.node = { op, inputs, backward };
  return out;
}

/** True when recording is needed (lets an op skip building closures and saved tensors). */
export function wantsGrad(...inputs: Tensor[]): boolean {
  return inputs[0]!.engine.isGradEnabled && inputs.some(needsGrad);
}

export function checkF32(op: string, arg: string, t: Tensor): void {
  t.assertAlive(op, arg);
  if (t.dtype !== 'f32')
    throw new Error(`${op}: argument ${arg} must be f32, got ${t.dtype} tensor of shape ${fmtShape(t.shape)}`);
}

export function checkI32(op: string, arg: string, t: Tensor): void {
  t.assertAlive(op, arg);
  if (t.dtype !== 'i32')
    throw new Error(`${op}: argument ${arg} must be an i32 index tensor, got ${t.dtype} of shape ${fmtShape(t.shape)}`);
}

export function checkSameEngine(op: string, a: Tensor, b: Tensor): void {
  if (a.engine !== b.engine) throw new Error(`${op}: arguments belong to different engines`);
}

/** Normalises a possibly negative axis; errors name the op and the shape. */
export function normAxis(op: string, axis: number, rank: number, shape: readonly number[]): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new Error(`${op}: axis ${axis} is out of range for shape ${fmtShape(shape)}`);
  }
  return a;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1,
      db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} do not broadcast (dim ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read `t` broadcast to `shape` (0 on broadcast dims). */
export function broadcastStrides(t: Tensor, shape: readonly number[]): number[] {
  const rank = shape.length,
    off = rank - t.rank;
  const s = new Array<number>(rank).fill(0);
  for (let i = 0; i < t.rank; i++) s[off + i] = t.shape[i] === 1 && shape[off + i] !== 1 ? 0 : t.strides[i]!;
  return s;
}

/**
 * Merges adjacent dims that every operand walks contiguously and drops size-1 dims, so strided
 * kernels see the lowest rank that describes the same walk (often rank 1).
 */
export function coalesce(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k]![last] === s[d]! * shape[d]!)) {
      outShape[last]! *= shape[d]!;
      strides.forEach((s, k) => {
        outStrides[k]![last] = s[d]!;
      });
    } else {
      outShape.push(shape[d]!);
      strides.forEach((s, k) => outStrides[k]!.push(s[d]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [1]) };
  return { shape: outShape, strides: outStrides };
}

/** Product of shape[from..to). */
export function prod(shape: readonly number[], from = 0, to = shape.length): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
