/**
 * The pure-TypeScript reference backend: every kernel of src/kernels/backend.ts as plain loops over
 * float32/int32 views of the memory, accumulating in float64 (JS numbers) wherever a sum is formed.
 *
 * It is the oracle of the kernel conformance tests and the fallback where WASM threads are not
 * available, so clarity beats speed here. The WASM backend extends this class and overrides kernels,
 * which keeps any kernel it has not (yet) specialised correct on the same memory.
 */
import {
  type BinaryOp,
  ReduceOp,
  type UnaryOp,
  type AdamWArgs,
  type AttentionArgs,
  type AttentionBackwardArgs,
  type Backend,
  type GemmArgs,
  type QuantMatmulArgs,
} from './backend.js';
import { attentionBackwardReference, attentionReference } from './reference-attention.js';
import {
  indexSelectReference,
  indexAddReference,
  gatherReference,
  scatterAddReference,
  topkReference,
  cumsumReference,
} from './reference-index.js';
import { quantMatmulReference, quantRowsReference } from './quant-reference.js';
import { binaryFn, unaryFn } from './reference-elementwise.js';
import { forEachIndex } from './strided.js';

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

export class ReferenceBackend implements Backend {
  readonly name: string = 'reference';
  private f32View: Float32Array;
  private i32View: Int32Array;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly heapBase: number,
    readonly threads = 1,
  ) {
    this.f32View = new Float32Array(memory.buffer);
    this.i32View = new Int32Array(memory.buffer);
  }

  f32(): Float32Array {
    if (this.f32View.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this.f32View;
  }

  i32(): Int32Array {
    if (this.i32View.byteLength !== this.memory.buffer.byteLength) this.refreshViews();
    return this.i32View;
  }

  private refreshViews(): void {
    this.f32View = new Float32Array(this.memory.buffer);
    this.i32View = new Int32Array(this.memory.buffer);
  }

  ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil(bytes / WASM_PAGE);
    if (pages > MAX_PAGES) {
      throw new Error(
        `memory: ${bytes} bytes requested but wasm32 memory is limited to 4 GiB ` +
          `(${MAX_PAGES * WASM_PAGE} bytes); ${have} bytes are mapped now`,
      );
    }
    // Grow geometrically (at least 1/4 more) so that a training run grows a handful of times.
    const want = Math.min(MAX_PAGES, Math.max(pages, Math.ceil((have / WASM_PAGE) * 1.25)));
    this.memory.grow(want - have / WASM_PAGE);
    this.refreshViews();
  }

  dispose(): void {
    /* nothing to stop */
  }

  gemm(g: GemmArgs): void {
    const f = this.f32();
    const A = g.a >>> 2,
      B = g.b >>> 2,
      C = g.c >>> 2;
    for (let bi = 0; bi < g.batch; bi++) {
      const a0 = A + bi * g.strideA,
        b0 = B + bi * g.strideB,
        c0 = C + bi * g.strideC;
      for (let i = 0; i < g.m; i++) {
        for (let j = 0; j < g.n; j++) {
          let s = 0;
          for (let p = 0; p < g.k; p++) {
            const av = g.transA ? f[a0 + p * g.lda + i]! : f[a0 + i * g.lda + p]!;
            const bv = g.transB ? f[b0 + j * g.ldb + p]! : f[b0 + p * g.ldb + j]!;
            s += av * bv;
          }
          const ci = c0 + i * g.ldc + j;
          f[ci] = g.accumulate ? f[ci]! + s : s;
        }
      }
    }
  }

  unary(op: UnaryOp, x: number, out: number, n: number): void {
    const f = this.f32(),
      fn = unaryFn(op),
      X = x >>> 2,
      O = out >>> 2;
    for (let i = 0; i < n; i++) f[O + i] = fn(f[X + i]!);
  }

  binary(
    op: BinaryOp,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void {
    const f = this.f32(),
      fn = binaryFn(op),
      A = a >>> 2,
      B = b >>> 2;
    let o = out >>> 2;
    forEachIndex(shape, [aStrides, bStrides], (ia, ib) => {
      f[o++] = fn(f[A + ia]!, f[B + ib]!);
    });
  }

  binaryScalar(op: BinaryOp, x: number, s: number, out: number, n: number, scalarFirst: boolean): void {
    const f = this.f32(),
      fn = binaryFn(op),
      X = x >>> 2,
      O = out >>> 2;
    const sv = Math.fround(s);
    for (let i = 0; i < n; i++) f[O + i] = scalarFirst ? fn(sv, f[X + i]!) : fn(f[X + i]!, sv);
  }

  where(
    cond: number,
    cStrides: ArrayLike<number>,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void {
    const f = this.f32(),
      C = cond >>> 2,
      A = a >>> 2,
      B = b >>> 2;
    let o = out >>> 2;
    forEachIndex(shape, [cStrides, aStrides, bStrides], (ic, ia, ib) => {
      f[o++] = f[C + ic] !== 0 ? f[A + ia]! : f[B + ib]!;
    });
  }

  copy(
    x: number,
    xStrides: ArrayLike<number>,
    out: number,
    outStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void {
    // Copy raw 32-bit patterns so int32 tensors and NaN payloads survive.
    const v = this.i32(),
      X = x >>> 2,
      O = out >>> 2;
    forEachIndex(shape, [xStrides, outStrides], (ix, io) => {
      v[O + io] = v[X + ix]!;
    });
  }

  fill(out: number, n: number, value: number): void {
    this.f32().fill(value, out >>> 2, (out >>> 2) + n);
  }

  axpy(alpha: number, x: number, y: number, n: number): void {
    const f = this.f32(),
      X = x >>> 2,
      Y = y >>> 2;
    for (let i = 0; i < n; i++) f[Y + i] = f[Y + i]! + alpha * f[X + i]!;
  }

  reduce(op: ReduceOp, x: number, out: number, outer: number, len: number, inner: number): void {
    const f = this.f32(),
      iv = this.i32(),
      X = x >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = X + o * len * inner + i;
        const at = (j: number) => f[base + j * inner]!;
        let r: number;
        if (op === ReduceOp.SUM) {
          r = 0;
          for (let j = 0; j < len; j++) r += at(j);
        } else if (op === ReduceOp.MAX || op === ReduceOp.MIN) {
          r = at(0);
          for (let j = 1; j < len; j++) {
            const v = at(j);
            if (v !== v) {
              r = v;
              break;
            }
            if (op === ReduceOp.MAX ? v > r : v < r) r = v;
          }
        } else if (op === ReduceOp.LOGSUMEXP) {
          let m = -Infinity;
          for (let j = 0; j < len; j++) m = Math.max(m, at(j));
          if (m === -Infinity) r = -Infinity;
          else {
            let s = 0;
            for (let j = 0; j < len; j++) s += Math.exp(at(j) - m);
            r = m + Math.log(s);
          }
        } else if (op === ReduceOp.ARGMAX || op === ReduceOp.ARGMIN) {
          let best = 0,
            bv = at(0);
          for (let j = 1; j < len; j++) {
            const v = at(j);
            if (op === ReduceOp.ARGMAX ? v > bv : v < bv) {
              bv = v;
              best = j;
            }
          }
          iv[O + o * inner + i] = best;
          continue;
        } else throw new Error(`reduce: unknown op code ${String(op)}`);
        f[O + o * inner + i] = r;
      }
    }
  }

  sumSquares(x: number, n: number): number {
    const f = this.f32(),
      X = x >>> 2;
    let s = 0;
    for (let i = 0; i < n; i++) s += f[X + i]! * f[X + i]!;
    return s;
  }

  softmax(x: number, out: number, rows: number, cols: number, log: boolean): void {
    const f = this.f32(),
      X = x >>> 2,
      O = out >>> 2;
    for (let r = 0; r < rows; r++) {
      const xr = X + r * cols,
        or = O + r * cols;
      let m = -Infinity;
      for (let j = 0; j < cols; j++) m = Math.max(m, f[xr + j]!);
      let s = 0;
      for (let j = 0; j < cols; j++) s += Math.exp(f[xr + j]! - m);
      const lse = m + Math.log(s);
      for (let j = 0; j < cols; j++) f[or + j] = log ? f[xr + j]! - lse : Math.exp(f[xr + j]! - lse);
    }
  }

  softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number, log: boolean): void {
    const f = this.f32(),
      Y = y >>> 2,
      DY = dy >>> 2,
      DX = dx >>> 2;
    for (let r = 0; r < rows; r++) {
      const o = r * cols;
      let s = 0;
      // softmax: dx = y * (dy - sum(dy * y)); log-softmax: dx = dy - exp(y) * sum(dy)
      for (let j = 0; j < cols; j++) s += log ? f[DY + o + j]! : f[DY + o + j]! * f[Y + o + j]!;
      for (let j = 0; j < cols; j++) {
        f[DX + o + j] = log ? f[DY + o + j]! - Math.exp(f[Y + o + j]!) * s : f[Y + o + j]! * (f[DY + o + j]! - s);
      }
    }
  }

  rmsnorm(x: number, w: number, out: number, rstd: number, rows: number, cols: number, eps: number): void {
    const f = this.f32(),
      X = x >>> 2,
      W = w >>> 2,
      O = out >>> 2,
      R = rstd >>> 2;
    for (let r = 0; r < rows; r++) {
      let ss = 0;
      for (let j = 0; j < cols; j++) ss += f[X + r * cols + j]! ** 2;
      const rs = 1 / Math.sqrt(ss / cols + eps);
      f[R + r] = rs;
      for (let j = 0; j < cols; j++) f[O + r * cols + j] = f[X + r * cols + j]! * rs * f[W + j]!;
    }
  }

  rmsnormBackward(
    x: number,
    w: number,
    rstd: number,
    dy: number,
    dx: number,
    dw: number,
    rows: number,
    cols: number,
  ): void {
    const f = this.f32(),
      X = x >>> 2,
      W = w >>> 2,
      R = rstd >>> 2,
      DY = dy >>> 2,
      DX = dx >>> 2,
      DW = dw >>> 2;
    for (let r = 0; r < rows; r++) {
      const rs = f[R + r]!,
        o = r * cols;
      // y = x * rs * w, rs = (mean(x^2) + eps)^-1/2: dx = rs * (dy*w) - x * rs^3 * mean(dy*w*x)
      let dot = 0;
      for (let j = 0; j < cols; j++) dot += f[DY + o + j]! * f[W + j]! * f[X + o + j]!;
      const c = (rs * rs * rs * dot) / cols;
      for (let j = 0; j < cols; j++) {
        f[DX + o + j] = rs * f[DY + o + j]! * f[W + j]! - f[X + o + j]! * c;
        f[DW + j] = f[DW + j]! + f[DY + o + j]! * f[X + o + j]! * rs;
      }
    }
  }

  crossEntropy(
    logits: number,
    targets: number,
    loss: number,
    lse: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void {
    const f = this.f32(),
      iv = this.i32(),
      L = logits >>> 2,
      T = targets >>> 2,
      LO = loss >>> 2,
      LS = lse >>> 2;
    for (let r = 0; r < rows; r++) {
      const base = L + r * vocab;
      let m = -Infinity;
      for (let j = 0; j < vocab; j++) m = Math.max(m, f[base + j]!);
      let s = 0;
      for (let j = 0; j < vocab; j++) s += Math.exp(f[base + j]! - m);
      const l = m + Math.log(s);
      f[LS + r] = l;
      const t = iv[T + r]!;
      f[LO + r] = t === ignoreIndex ? 0 : l - f[base + t]!;
    }
  }

  crossEntropyBackward(
    logits: number,
    targets: number,
    lse: number,
    dloss: number,
    dlogits: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void {
    const f = this.f32(),
      iv = this.i32(),
      L = logits >>> 2,
      T = targets >>> 2,
      LS = lse >>> 2;
    const DL = dloss >>> 2,
      D = dlogits >>> 2;
    for (let r = 0; r < rows; r++) {
      const t = iv[T + r]!,
        g = t === ignoreIndex ? 0 : f[DL + r]!,
        l = f[LS + r]!;
      for (let j = 0; j < vocab; j++) {
        f[D + r * vocab + j] = g === 0 ? 0 : g * (Math.exp(f[L + r * vocab + j]! - l) - (j === t ? 1 : 0));
      }
    }
  }

  swiglu(g: number, u: number, out: number, n: number): void {
    const f = this.f32(),
      G = g >>> 2,
      U = u >>> 2,
      O = out >>> 2;
    for (let i = 0; i < n; i++) {
      const x = f[G + i]!;
      f[O + i] = (x / (1 + Math.exp(-x))) * f[U + i]!;
    }
  }

  swigluBackward(g: number, u: number, dy: number, dg: number, du: number, n: number): void {
    const f = this.f32(),
      G = g >>> 2,
      U = u >>> 2,
      DY = dy >>> 2,
      DG = dg >>> 2,
      DU = du >>> 2;
    for (let i = 0; i < n; i++) {
      const x = f[G + i]!,
        s = 1 / (1 + Math.exp(-x)),
        d = f[DY + i]!;
      f[DU + i] = d * x * s;
      f[DG + i] = d * f[U + i]! * s * (1 + x * (1 - s));
    }
  }

  attention(a: AttentionArgs): void {
    attentionReference(this.f32(), a);
  }

  attentionBackward(a: AttentionBackwardArgs): void {
    attentionBackwardReference(this.f32(), a);
  }

  indexSelect(x: number, idx: number, out: number, outer: number, lenIn: number, nIdx: number, inner: number): void {
    indexSelectReference(this.f32(), this.i32(), x, idx, out, outer, lenIn, nIdx, inner);
  }

  indexAdd(src: number, idx: number, out: number, outer: number, lenOut: number, nIdx: number, inner: number): void {
    indexAddReference(this.f32(), this.i32(), src, idx, out, outer, lenOut, nIdx, inner);
  }

  gather(x: number, idx: number, out: number, outer: number, lenIn: number, lenIdx: number, inner: number): void {
    gatherReference(this.f32(), this.i32(), x, idx, out, outer, lenIn, lenIdx, inner);
  }

  scatterAdd(
    src: number,
    idx: number,
    out: number,
    outer: number,
    lenOut: number,
    lenIdx: number,
    inner: number,
  ): void {
    scatterAddReference(this.f32(), this.i32(), src, idx, out, outer, lenOut, lenIdx, inner);
  }

  topk(x: number, values: number, indices: number, rows: number, cols: number, k: number): void {
    topkReference(this.f32(), this.i32(), x, values, indices, rows, cols, k);
  }

  cumsum(x: number, out: number, outer: number, len: number, inner: number, reverse: boolean): void {
    cumsumReference(this.f32(), this.i32(), x, out, outer, len, inner, reverse);
  }

  adamw(a: AdamWArgs): void {
    const f = this.f32(),
      P = a.param >>> 2,
      G = a.grad >>> 2,
      M = a.m >>> 2,
      V = a.v >>> 2;
    const bc1 = 1 - a.beta1 ** a.step,
      bc2 = 1 - a.beta2 ** a.step;
    for (let i = 0; i < a.n; i++) {
      const g = f[G + i]!;
      const m = a.beta1 * f[M + i]! + (1 - a.beta1) * g;
      const v = a.beta2 * f[V + i]! + (1 - a.beta2) * g * g;
      f[M + i] = m;
      f[V + i] = v;
      const p = f[P + i]! * (1 - a.lr * a.weightDecay);
      f[P + i] = p - (a.lr * (m / bc1)) / (Math.sqrt(v / bc2) + a.eps);
    }
  }

  quantMatmul(a: QuantMatmulArgs): void {
    quantMatmulReference(this.memory, a);
  }

  quantRows(type: number, k: number, w: number, idx: number, count: number, out: number): void {
    quantRowsReference(this.memory, type, k, w, idx, count, out);
  }
}
