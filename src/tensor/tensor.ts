/**
 * Tensor: a typed, strided view of a block of the engine's linear memory, plus its autograd links.
 *
 * Storage is reference-counted: views (reshape, slice, transpose, expand) share one block, and the
 * block returns to the heap when its last tensor is disposed. Shapes and strides count elements;
 * `offset` is the element offset of the view's first element in the block. Tensors are created by an
 * Engine (engine.ts) and by ops (src/tensor/ops/); this file holds no op logic.
 */
import type { Engine } from './engine.js';

export type DType = 'f32' | 'i32';

/** A block of heap memory shared by all the views of one tensor. */
export class Storage {
  refs = 0;
  constructor(
    readonly ptr: number,
    readonly bytes: number,
  ) {}
}

/** The record autograd keeps for a tensor computed by an op. */
export interface GradNode {
  /** The op's name, for error messages and debugging. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Gradients for each input from the gradient of the output (null where an input needs none). */
  backward(grad: Tensor): (Tensor | null)[];
}

export class Tensor {
  /** Gradient accumulated by backward() for tensors with requiresGrad (leaves keep it). */
  grad: Tensor | null = null;
  /** How this tensor was computed; null for leaves and for results computed without grad. */
  node: GradNode | null = null;
  private disposed = false;

  constructor(
    readonly engine: Engine,
    readonly storage: Storage,
    readonly dtype: DType,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    readonly offset: number,
    public requiresGrad = false,
  ) {
    storage.refs++;
  }

  get rank(): number {
    return this.shape.length;
  }
  get size(): number {
    let n = 1;
    for (const d of this.shape) n *= d;
    return n;
  }
  get isDisposed(): boolean {
    return this.disposed;
  }
  /** Byte address of the first element, for kernels. */
  get ptr(): number {
    return this.storage.ptr + this.offset * 4;
  }

  /** True when the elements are laid out densely in row-major order starting at `ptr`. */
  get isContiguous(): boolean {
    let expect = 1;
    for (let d = this.shape.length - 1; d >= 0; d--) {
      if (this.shape[d] !== 1 && this.strides[d] !== expect) return false;
      expect *= this.shape[d]!;
    }
    return true;
  }

  /** Throws if the tensor was disposed; `op` and `arg` name the use, for the message. */
  assertAlive(op: string, arg: string): void {
    if (this.disposed)
      throw new Error(`${op}: argument ${arg} (shape [${this.shape.join(', ')}]) was disposed and cannot be used`);
  }

  /** Frees this view now; the storage returns to the heap when no view uses it. Idempotent. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.node = null;
    if (--this.storage.refs === 0) this.engine.releaseStorage(this.storage);
  }

  /** Back-propagates from this scalar (or from `grad` of the same shape) into every leaf with requiresGrad. */
  backward(grad?: Tensor): void {
    this.engine.backward(this, grad);
  }

  /** A copy of the elements in row-major order. */
  toArray(): Float32Array | Int32Array {
    return this.engine.read(this);
  }

  /** The elements as nested plain arrays (for tests and small outputs). */
  toList(): unknown {
    const flat = Array.from(this.toArray());
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return flat[off];
      let step = 1;
      for (let d = dim + 1; d < this.shape.length; d++) step *= this.shape[d]!;
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: tensor has shape [${this.shape.join(', ')}], expected one element`);
    return this.toArray()[0]!;
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}])`;
  }
}

/** Row-major strides of a shape. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
