/**
 * The AssemblyScript WASM SIMD backend: the reference backend with its kernels replaced by calls
 * into the compiled module (assembly/), multi-threaded through ThreadPool where the work is large
 * enough. Arguments go into preallocated float64 slots / int32 arrays of the control block (no
 * allocation per call); small calls run inline on the main thread as one wasm call. Shapes past the
 * module's limits (attention tk > 48000, cumsum inner > 48000, more than 16 dims after coalescing,
 * top-k with k > cols) fall back to the reference loops on the same memory.
 */
import type {
  AdamWArgs,
  AttentionArgs,
  AttentionBackwardArgs,
  BinaryOp,
  GemmArgs,
  QuantMatmulArgs,
  ReduceOp,
  UnaryOp,
} from '../backend.js';
import { ReferenceBackend } from '../reference.js';
import {
  ARGS_OFFSET,
  ARGS_SLOTS,
  ARRS_OFFSET,
  ATTENTION_MAX_TK,
  CUMSUM_MAX_INNER,
  Kernel,
  MAX_RANK,
  PARTIALS_OFFSET,
  MAX_THREADS,
} from './layout.js';
import { adamwArgs, attentionArgs, attentionGradArgs, coalesce, quantMatmulArgs, total } from './args.js';
import type { LoadedKernels } from './loader.js';
import type { ThreadPool } from './pool.js';

/** Default elements below which a call runs on the main thread alone (multiply-adds: 4x this). */
export const DEFAULT_MIN_PARALLEL = 1 << 16;

export class WasmBackend extends ReferenceBackend {
  override readonly name: string;
  private readonly pool: ThreadPool;
  private readonly args: Float64Array;
  private readonly arrs: Int32Array;
  private readonly partials: Float64Array;

  private readonly parElems: number;
  private readonly parFlops: number;

  /** minParallel: elements below which a call runs inline (tests pass 1 to split every call). */
  constructor(k: LoadedKernels, minParallel = DEFAULT_MIN_PARALLEL) {
    super(k.memory, k.layout.heapBase, k.threads);
    this.parElems = minParallel;
    this.parFlops = minParallel * 4;
    this.name = k.name;
    this.pool = k.pool;
    const buf = k.memory.buffer;
    this.args = new Float64Array(buf, k.layout.ctrlBase + ARGS_OFFSET, ARGS_SLOTS);
    this.arrs = new Int32Array(buf, k.layout.ctrlBase + ARRS_OFFSET, 4 * MAX_RANK);
    this.partials = new Float64Array(buf, k.layout.ctrlBase + PARTIALS_OFFSET, MAX_THREADS);
  }

  override dispose(): void {
    this.pool.dispose();
  }

  private nt(work: number, min: number): number {
    return work >= min ? this.threads : 1;
  }

  override gemm(g: GemmArgs): void {
    if (g.batch <= 0 || g.m <= 0 || g.n <= 0) return;
    const a = this.args;
    a[0] = g.batch;
    a[1] = g.m;
    a[2] = g.n;
    a[3] = g.k;
    a[4] = g.a;
    a[5] = g.lda;
    a[6] = g.strideA;
    a[7] = g.transA ? 1 : 0;
    a[8] = g.b;
    a[9] = g.ldb;
    a[10] = g.strideB;
    a[11] = g.transB ? 1 : 0;
    a[12] = g.c;
    a[13] = g.ldc;
    a[14] = g.strideC;
    a[15] = g.accumulate ? 1 : 0;
    this.pool.run(Kernel.GEMM, this.nt(g.batch * g.m * g.n * g.k, this.parFlops));
  }

  override unary(op: UnaryOp, x: number, out: number, n: number): void {
    const a = this.args;
    a[0] = op;
    a[1] = x;
    a[2] = out;
    a[3] = n;
    this.pool.run(Kernel.UNARY, this.nt(n, this.parElems));
  }

  override binaryScalar(op: BinaryOp, x: number, s: number, out: number, n: number, scalarFirst: boolean): void {
    const a = this.args;
    a[0] = op;
    a[1] = x;
    a[2] = s;
    a[3] = out;
    a[4] = n;
    a[5] = scalarFirst ? 1 : 0;
    this.pool.run(Kernel.BINARY_SCALAR, this.nt(n, this.parElems));
  }

  override binary(
    op: BinaryOp,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void {
    const rank = coalesce(this.arrs, shape, aStrides, bStrides, null);
    if (rank === 0) return;
    if (rank < 0) {
      super.binary(op, a, aStrides, b, bStrides, out, shape);
      return;
    }
    const g = this.args;
    g[0] = op;
    g[1] = a;
    g[2] = b;
    g[3] = out;
    g[4] = rank;
    this.pool.run(Kernel.BINARY, this.nt(total(this.arrs, rank), this.parElems));
  }

  override where(
    cond: number,
    cStrides: ArrayLike<number>,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void {
    const rank = coalesce(this.arrs, shape, cStrides, aStrides, bStrides);
    if (rank === 0) return;
    if (rank < 0) {
      super.where(cond, cStrides, a, aStrides, b, bStrides, out, shape);
      return;
    }
    const g = this.args;
    g[0] = cond;
    g[1] = a;
    g[2] = b;
    g[3] = out;
    g[4] = rank;
    this.pool.run(Kernel.WHERE, this.nt(total(this.arrs, rank), this.parElems));
  }

  override copy(
    x: number,
    xStrides: ArrayLike<number>,
    out: number,
    outStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void {
    const rank = coalesce(this.arrs, shape, xStrides, outStrides, null);
    if (rank === 0) return;
    if (rank < 0) {
      super.copy(x, xStrides, out, outStrides, shape);
      return;
    }
    const g = this.args;
    g[0] = x;
    g[1] = out;
    g[2] = rank;
    this.pool.run(Kernel.COPY, this.nt(total(this.arrs, rank), this.parElems));
  }

  override fill(out: number, n: number, value: number): void {
    const a = this.args;
    a[0] = out;
    a[1] = n;
    a[2] = value;
    this.pool.run(Kernel.FILL, this.nt(n, this.parElems * 4));
  }

  override axpy(alpha: number, x: number, y: number, n: number): void {
    const a = this.args;
    a[0] = alpha;
    a[1] = x;
    a[2] = y;
    a[3] = n;
    this.pool.run(Kernel.AXPY, this.nt(n, this.parElems));
  }

  override reduce(op: ReduceOp, x: number, out: number, outer: number, len: number, inner: number): void {
    if (outer <= 0 || inner <= 0) return;
    if (len <= 0) {
      super.reduce(op, x, out, outer, len, inner);
      return;
    }
    const a = this.args;
    a[0] = op;
    a[1] = x;
    a[2] = out;
    a[3] = outer;
    a[4] = len;
    a[5] = inner;
    this.pool.run(Kernel.REDUCE, this.nt(outer * len * inner, this.parElems));
  }

  override sumSquares(x: number, n: number): number {
    const a = this.args;
    a[0] = x;
    a[1] = n;
    const nt = this.nt(n, this.parElems);
    this.pool.run(Kernel.SUM_SQUARES, nt);
    let s = 0;
    for (let t = 0; t < nt; t++) s += this.partials[t]!;
    return s;
  }

  private rows(kernel: Kernel, rows: number, cols: number): void {
    this.pool.run(kernel, rows >= 2 ? this.nt(rows * cols, this.parElems) : 1);
  }

  override softmax(x: number, out: number, rows: number, cols: number, log: boolean): void {
    const a = this.args;
    a[0] = x;
    a[1] = out;
    a[2] = rows;
    a[3] = cols;
    a[4] = log ? 1 : 0;
    this.rows(Kernel.SOFTMAX, rows, cols);
  }

  override softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number, log: boolean): void {
    const a = this.args;
    a[0] = y;
    a[1] = dy;
    a[2] = dx;
    a[3] = rows;
    a[4] = cols;
    a[5] = log ? 1 : 0;
    this.rows(Kernel.SOFTMAX_BWD, rows, cols);
  }

  override rmsnorm(x: number, w: number, out: number, rstd: number, rows: number, cols: number, eps: number): void {
    const a = this.args;
    a[0] = x;
    a[1] = w;
    a[2] = out;
    a[3] = rstd;
    a[4] = rows;
    a[5] = cols;
    a[6] = eps;
    this.rows(Kernel.RMSNORM, rows, cols);
  }

  override rmsnormBackward(
    x: number,
    w: number,
    rstd: number,
    dy: number,
    dx: number,
    dw: number,
    rows: number,
    cols: number,
  ): void {
    const a = this.args;
    a[0] = x;
    a[1] = w;
    a[2] = rstd;
    a[3] = dy;
    a[4] = dx;
    a[5] = dw;
    a[6] = rows;
    a[7] = cols;
    this.rows(Kernel.RMSNORM_BWD, rows, cols);
  }

  override crossEntropy(
    logits: number,
    targets: number,
    loss: number,
    lse: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void {
    const a = this.args;
    a[0] = logits;
    a[1] = targets;
    a[2] = loss;
    a[3] = lse;
    a[4] = rows;
    a[5] = vocab;
    a[6] = ignoreIndex;
    this.rows(Kernel.CROSS_ENTROPY, rows, vocab);
  }

  override crossEntropyBackward(
    logits: number,
    targets: number,
    lse: number,
    dloss: number,
    dlogits: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void {
    const a = this.args;
    a[0] = logits;
    a[1] = targets;
    a[2] = lse;
    a[3] = dloss;
    a[4] = dlogits;
    a[5] = rows;
    a[6] = vocab;
    a[7] = ignoreIndex;
    this.rows(Kernel.CROSS_ENTROPY_BWD, rows, vocab);
  }

  override swiglu(g: number, u: number, out: number, n: number): void {
    const a = this.args;
    a[0] = g;
    a[1] = u;
    a[2] = out;
    a[3] = n;
    this.pool.run(Kernel.SWIGLU, this.nt(n, this.parElems));
  }

  override swigluBackward(g: number, u: number, dy: number, dg: number, du: number, n: number): void {
    const a = this.args;
    a[0] = g;
    a[1] = u;
    a[2] = dy;
    a[3] = dg;
    a[4] = du;
    a[5] = n;
    this.pool.run(Kernel.SWIGLU_BWD, this.nt(n, this.parElems));
  }

  override attention(t: AttentionArgs): void {
    if (t.tk > ATTENTION_MAX_TK) {
      super.attention(t);
      return;
    }
    const work = attentionArgs(this.args, t);
    this.pool.run(Kernel.ATTENTION, t.batch * t.headsQ >= 2 ? this.nt(work, this.parFlops) : 1);
  }

  override attentionBackward(t: AttentionBackwardArgs): void {
    if (t.tk > ATTENTION_MAX_TK) {
      super.attentionBackward(t);
      return;
    }
    const work = attentionArgs(this.args, t);
    attentionGradArgs(this.args, t);
    this.pool.run(Kernel.ATTENTION_BWD, t.batch * t.headsK >= 2 ? this.nt(work, this.parFlops) : 1);
  }

  private index(
    kernel: Kernel,
    x: number,
    idx: number,
    out: number,
    outer: number,
    len: number,
    n: number,
    inner: number,
    work: number,
  ): void {
    const a = this.args;
    a[0] = x;
    a[1] = idx;
    a[2] = out;
    a[3] = outer;
    a[4] = len;
    a[5] = n;
    a[6] = inner;
    this.pool.run(kernel, this.nt(work, this.parElems));
  }

  override indexSelect(
    x: number,
    idx: number,
    out: number,
    outer: number,
    lenIn: number,
    nIdx: number,
    inner: number,
  ): void {
    this.index(Kernel.INDEX_SELECT, x, idx, out, outer, lenIn, nIdx, inner, outer * nIdx * inner);
  }

  override indexAdd(
    src: number,
    idx: number,
    out: number,
    outer: number,
    lenOut: number,
    nIdx: number,
    inner: number,
  ): void {
    this.index(Kernel.INDEX_ADD, src, idx, out, outer, lenOut, nIdx, inner, outer * nIdx * inner);
  }

  override gather(
    x: number,
    idx: number,
    out: number,
    outer: number,
    lenIn: number,
    lenIdx: number,
    inner: number,
  ): void {
    this.index(Kernel.GATHER, x, idx, out, outer, lenIn, lenIdx, inner, outer * lenIdx * inner);
  }

  override scatterAdd(
    src: number,
    idx: number,
    out: number,
    outer: number,
    lenOut: number,
    lenIdx: number,
    inner: number,
  ): void {
    this.index(Kernel.SCATTER_ADD, src, idx, out, outer, lenOut, lenIdx, inner, outer * lenIdx * inner);
  }

  override adamw(t: AdamWArgs): void {
    adamwArgs(this.args, t);
    this.pool.run(Kernel.ADAMW, this.nt(t.n, this.parElems));
  }

  override quantMatmul(q: QuantMatmulArgs): void {
    if (q.m <= 0 || q.n <= 0) return;
    quantMatmulArgs(this.args, q);
    this.pool.run(Kernel.QMATMUL, this.nt(q.m * q.n * q.k, this.parFlops));
  }

  override quantRows(type: number, k: number, w: number, idx: number, count: number, out: number): void {
    if (count <= 0) return;
    const a = this.args;
    a[0] = type;
    a[1] = k;
    a[2] = w;
    a[3] = idx;
    a[4] = count;
    a[5] = out;
    this.pool.run(Kernel.QROWS, this.nt(count * k, this.parElems));
  }

  override topk(x: number, values: number, indices: number, rows: number, cols: number, k: number): void {
    if (k > cols || k <= 0) {
      super.topk(x, values, indices, rows, cols, k);
      return;
    }
    const a = this.args;
    a[0] = x;
    a[1] = values;
    a[2] = indices;
    a[3] = rows;
    a[4] = cols;
    a[5] = k;
    this.rows(Kernel.TOPK, rows, cols);
  }

  override cumsum(x: number, out: number, outer: number, len: number, inner: number, reverse: boolean): void {
    if (inner > CUMSUM_MAX_INNER) {
      super.cumsum(x, out, outer, len, inner, reverse);
      return;
    }
    const a = this.args;
    a[0] = x;
    a[1] = out;
    a[2] = outer;
    a[3] = len;
    a[4] = inner;
    a[5] = reverse ? 1 : 0;
    this.pool.run(Kernel.CUMSUM, this.nt(outer * len * inner, this.parElems));
  }
}
