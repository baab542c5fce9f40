/**
 * Engine: one backend plus the tensor heap, memory scopes, grad mode and the backward pass.
 *
 * There is no global engine: every tensor points at the engine that made it, and ops use that one.
 * Lifetimes are explicit (tensor storage lives in WASM memory, which JS does not collect):
 * `engine.scope(fn)` frees every tensor made inside `fn` when it returns, except the tensors found in
 * its return value (moved to the enclosing scope) and tensors marked with `keep`. Tensors made outside
 * any scope live until `dispose()`. The backward pass is reverse-mode over the graph recorded in
 * `Tensor.node`; each op's grad rule lives beside its forward in src/tensor/ops/.
 */
import type { Backend } from '../kernels/backend.js';
import { BinaryOp } from '../kernels/backend.js';
import { Heap } from '../kernels/heap.js';
import { contiguousStrides, fmtShape, shapeSize, Storage, Tensor, type DType } from './tensor.js';

export class Engine {
  readonly heap: Heap;
  private readonly scopes: Tensor[][] = [];
  private readonly kept = new WeakSet<Tensor>();
  private gradEnabled = true;

  constructor(readonly backend: Backend) {
    this.heap = new Heap(backend);
  }

  /** Bytes of tensor storage currently allocated. */
  get liveBytes(): number {
    return this.heap.liveBytes;
  }
  get isGradEnabled(): boolean {
    return this.gradEnabled;
  }

  /** A new contiguous tensor with unspecified contents, tracked by the current scope. */
  empty(shape: readonly number[], dtype: DType = 'f32'): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0)
        throw new Error(`empty: shape ${fmtShape(shape)} must hold non-negative integers`);
    }
    const n = shapeSize(shape);
    const storage = new Storage(this.heap.alloc(n * 4), n * 4);
    return this.track(new Tensor(this, storage, dtype, [...shape], contiguousStrides(shape), 0));
  }

  /** A view of `base`'s storage with its own shape, strides and element offset. */
  view(base: Tensor, shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    return this.track(new Tensor(this, base.storage, base.dtype, [...shape], [...strides], offset));
  }

  /** A tensor holding `data` (row-major) with the given shape. */
  tensor(data: ArrayLike<number>, shape: readonly number[], dtype: DType = 'f32'): Tensor {
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new Error(`tensor: ${data.length} values given for shape ${fmtShape(shape)}, which holds ${n}`);
    }
    const t = this.empty(shape, dtype);
    if (dtype === 'f32') this.backend.f32().set(data, t.ptr >>> 2);
    else {
      const v = this.backend.i32(),
        p = t.ptr >>> 2;
      for (let i = 0; i < n; i++) v[p + i] = data[i]!;
    }
    return t;
  }

  /** A float32 tensor filled with `value`. */
  full(shape: readonly number[], value: number): Tensor {
    const t = this.empty(shape);
    this.backend.fill(t.ptr, t.size, value);
    return t;
  }

  zeros(shape: readonly number[]): Tensor {
    return this.full(shape, 0);
  }
  ones(shape: readonly number[]): Tensor {
    return this.full(shape, 1);
  }
  scalar(value: number): Tensor {
    return this.full([], value);
  }

  /** A trainable leaf: untracked by scopes (lives until disposed), with requiresGrad set. */
  parameter(data: ArrayLike<number>, shape: readonly number[]): Tensor {
    const t = this.keep(this.tensor(data, shape));
    t.requiresGrad = true;
    return t;
  }

  /** Copies the elements out in row-major order. */
  read(t: Tensor): Float32Array | Int32Array {
    t.assertAlive('read', 'tensor');
    const n = t.size;
    const out = t.dtype === 'f32' ? new Float32Array(n) : new Int32Array(n);
    if (t.isContiguous) {
      const src = t.dtype === 'f32' ? this.backend.f32() : this.backend.i32();
      out.set(src.subarray(t.ptr >>> 2, (t.ptr >>> 2) + n));
      return out;
    }
    const tmp = this.keep(this.contiguousCopy(t));
    try {
      return this.read(tmp);
    } finally {
      tmp.dispose();
    }
  }

  /** `t` itself when contiguous, else a contiguous copy (no grad link: ops use ops/views.contiguous). */
  contiguous(t: Tensor): Tensor {
    return t.isContiguous ? t : this.contiguousCopy(t);
  }

  /** Runs `fn` and frees every tensor it made, except those in its result and those kept. */
  scope<T>(fn: () => T): T {
    const list: Tensor[] = [];
    this.scopes.push(list);
    let result: T;
    try {
      result = fn();
    } catch (e) {
      this.scopes.pop();
      for (const t of list) if (!this.kept.has(t)) t.dispose();
      throw e;
    }
    this.scopes.pop();
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors, 0);
    const parent = this.scopes[this.scopes.length - 1];
    for (const t of list) {
      if (survivors.has(t)) parent?.push(t);
      else if (!this.kept.has(t)) t.dispose();
    }
    return result;
  }

  /** Takes `t` out of scope tracking: it lives until `t.dispose()`. Returns `t`. */
  keep<T extends Tensor>(t: T): T {
    this.kept.add(t);
    return t;
  }

  /** Runs `fn` without recording gradients (inference). */
  noGrad<T>(fn: () => T): T {
    const prev = this.gradEnabled;
    this.gradEnabled = false;
    try {
      return fn();
    } finally {
      this.gradEnabled = prev;
    }
  }

  /** Called by Tensor.dispose when a storage has no views left. */
  releaseStorage(s: Storage): void {
    this.heap.release(s.ptr);
  }

  private track(t: Tensor): Tensor {
    this.scopes[this.scopes.length - 1]?.push(t);
    return t;
  }

  /**
   * Reverse-mode backward from `root`: leaves with requiresGrad receive (accumulate) `.grad`, which
   * lives outside scopes. Intermediate gradients are freed as soon as they have been propagated.
   */
  backward(root: Tensor, grad?: Tensor): void {
    root.assertAlive('backward', 'root');
    if (!root.requiresGrad && root.node === null) {
      throw new Error(
        `backward: tensor ${fmtShape(root.shape)} does not require grad (no op on its path had an input with requiresGrad)`,
      );
    }
    if (grad === undefined && root.size !== 1) {
      throw new Error(
        `backward: root has shape ${fmtShape(root.shape)}; pass a gradient of that shape for a non-scalar root`,
      );
    }
    if (grad !== undefined && fmtShape(grad.shape) !== fmtShape(root.shape)) {
      throw new Error(
        `backward: gradient shape ${fmtShape(grad.shape)} differs from root shape ${fmtShape(root.shape)}`,
      );
    }
    const order = topoOrder(root);
    const grads = new Map<Tensor, Tensor>();
    this.noGrad(() =>
      this.scope(() => {
        const seed = grad ? this.keep(this.contiguousCopy(grad)) : this.keep(this.full(root.shape, 1));
        grads.set(root, seed);
        for (let i = order.length - 1; i >= 0; i--) {
          const t = order[i]!;
          const g = grads.get(t);
          if (g === undefined) continue;
          grads.delete(t);
          const node = t.node;
          if (node === null) {
            if (t.requiresGrad) this.accumulateLeaf(t, g);
            g.dispose();
            continue;
          }
          const inputGrads = this.scope(() => {
            // A rule may return its incoming gradient (or one tensor twice): give each slot its own view.
            const seen = new Set<Tensor>([g]);
            return node.backward(g).map((x) => {
              if (!x) return null;
              const own = seen.has(x) ? this.view(x, x.shape, x.strides, x.offset) : x;
              seen.add(own);
              return this.keep(own);
            });
          });
          g.dispose();
          node.inputs.forEach((input, k) => {
            const gi = inputGrads[k];
            if (!gi) return;
            if (!needsGrad(input)) {
              gi.dispose();
              return;
            }
            if (fmtShape(gi.shape) !== fmtShape(input.shape)) {
              throw new Error(
                `backward: grad rule of ${node.op} returned shape ${fmtShape(gi.shape)} for input ${k} of shape ${fmtShape(input.shape)}`,
              );
            }
            const prev = grads.get(input);
            if (prev === undefined) grads.set(input, gi.isContiguous ? gi : this.swapContiguous(gi));
            else {
              this.addInto(prev, gi);
              gi.dispose();
            }
          });
        }
      }),
    );
    for (const g of grads.values()) g.dispose();
  }

  private accumulateLeaf(leaf: Tensor, g: Tensor): void {
    if (leaf.grad === null || leaf.grad.isDisposed) leaf.grad = this.keep(this.contiguousCopy(g));
    else this.addInto(leaf.grad, g);
  }

  /** A contiguous copy of `t`, always new. */
  private contiguousCopy(t: Tensor): Tensor {
    const out = this.empty(t.shape, t.dtype);
    this.backend.copy(t.ptr, t.strides, out.ptr, out.strides, t.shape);
    return out;
  }

  private swapContiguous(t: Tensor): Tensor {
    const c = this.keep(this.contiguousCopy(t));
    t.dispose();
    return c;
  }

  /** dst (contiguous) += src (any strides, same shape). */
  private addInto(dst: Tensor, src: Tensor): void {
    if (src.isContiguous) this.backend.axpy(1, src.ptr, dst.ptr, dst.size);
    else this.backend.binary(BinaryOp.ADD, dst.ptr, dst.strides, src.ptr, src.strides, dst.ptr, dst.shape);
  }
}

/** True when gradients must flow into `t`: a leaf with requiresGrad or a recorded op result. */
export function needsGrad(t: Tensor): boolean {
  return t.requiresGrad || t.node !== null;
}

/** Tensors reachable from root through GradNode inputs, inputs before users. */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top[0].node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++]!;
      if (!seen.has(next) && needsGrad(next)) {
        next.assertAlive('backward', `input of ${top[0].node!.op}`);
        seen.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order;
}

/** Finds the tensors in a scope's return value (tensor, array, plain object, nested a few levels). */
function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (v instanceof Tensor) {
    out.add(v);
    if (v.grad) out.add(v.grad);
    return;
  }
  if (depth > 4 || v === null || typeof v !== 'object') return;
  if (Array.isArray(v)) {
    for (const x of v) collectTensors(x, out, depth + 1);
    return;
  }
  if (v instanceof Map) {
    for (const x of v.values()) collectTensors(x, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(v) === Object.prototype)
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
}
