/**
 * The kernel seam: a backend is a name plus a table of compute kernels over one linear memory.
 *
 * Every tensor's storage lives in `memory` (a WebAssembly.Memory, shared when worker threads are
 * used), so kernels take byte offsets ("pointers") and sizes and never copy. The tensor layer above
 * owns allocation (src/kernels/heap.ts), shapes, strides and autograd; a backend only computes.
 *
 * Two implementations exist: the pure-TypeScript reference backend (plain loops, float64
 * accumulation where it matters: the oracle for kernel tests and the fallback where WASM threads are
 * unavailable) and the AssemblyScript WASM SIMD backend (multi-threaded). Nothing above this layer may
 * depend on which one runs. Conventions shared by all kernels:
 * - pointers are byte offsets into `memory`, 16-byte aligned for tensors the heap hands out;
 * - float data is float32, index data int32 (both 4 bytes); strides and leading dimensions count
 *   elements, not bytes; a stride of 0 broadcasts;
 * - outputs never alias inputs unless a kernel says so (`unary`, `binary` and `axpy` allow
 *   out === input when the layouts are identical);
 * - `accumulate` flags mean out += result instead of out = result.
 * Op codes are plain numbers so that the WASM side can switch on them; the AssemblyScript sources
 * repeat these numbers and the kernel conformance tests check every code against the reference.
 */

/** Elementwise functions of one argument. */
export const UnaryOp = {
  NEG: 0,
  EXP: 1,
  LOG: 2,
  SQRT: 3,
  RSQRT: 4,
  SIGMOID: 5,
  SILU: 6,
  TANH: 7,
  ABS: 8,
  RECIP: 9,
  SQUARE: 10,
  SIGN: 11,
  RELU: 12,
  COPY: 13,
} as const;
export type UnaryOp = (typeof UnaryOp)[keyof typeof UnaryOp];

/** Elementwise functions of two arguments; comparisons produce 1.0 / 0.0 in float32. */
export const BinaryOp = {
  ADD: 0,
  SUB: 1,
  MUL: 2,
  DIV: 3,
  MAX: 4,
  MIN: 5,
  POW: 6,
  EQ: 7,
  NE: 8,
  LT: 9,
  LE: 10,
  GT: 11,
  GE: 12,
} as const;
export type BinaryOp = (typeof BinaryOp)[keyof typeof BinaryOp];

/** Reductions over one axis of a contiguous [outer, len, inner] view. ARGMAX writes int32. */
export const ReduceOp = { SUM: 0, MAX: 1, MIN: 2, LOGSUMEXP: 3, ARGMAX: 4, ARGMIN: 5 } as const;
export type ReduceOp = (typeof ReduceOp)[keyof typeof ReduceOp];

/** out[b] (+)= op(A[b]) @ op(B[b]) for b < batch; row-major with leading dimensions. */
export interface GemmArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  /** A is [m, k] with row stride lda, or stored [k, m] (row stride lda) when transA. */
  a: number;
  lda: number;
  strideA: number;
  transA: boolean;
  /** B is [k, n] with row stride ldb, or stored [n, k] (row stride ldb) when transB. */
  b: number;
  ldb: number;
  strideB: number;
  transB: boolean;
  /** C is [m, n] with row stride ldc. */
  c: number;
  ldc: number;
  strideC: number;
  accumulate: boolean;
}

/**
 * Scaled dot-product attention on contiguous tensors, heads sharing keys in groups (Hq % Hk == 0;
 * Hk = 1 is the shared-latent case of absorbed MLA):
 * q [B, Hq, Tq, Dk], k [B, Hk, Tk, Dk], v [B, Hk, Tk, Dv] -> out [B, Hq, Tq, Dv], lse [B, Hq, Tq]
 * (the row log-sum-exp of the scaled, masked scores, kept for the backward pass).
 * causal: query i (absolute position i + Tk - Tq) sees keys j <= i + Tk - Tq.
 * mask: optional additive float32 mask [B, Tq, Tk] (maskBatchStride 0 broadcasts over batch);
 * use -Infinity to hide a key. A row that sees no key gets out = 0 and lse = -Infinity.
 */
export interface AttentionArgs {
  batch: number;
  headsQ: number;
  headsK: number;
  tq: number;
  tk: number;
  dk: number;
  dv: number;
  scale: number;
  causal: boolean;
  q: number;
  k: number;
  v: number;
  out: number;
  lse: number;
  mask: number /** 0 when there is no mask (pointer 0 is never a tensor). */;
  maskBatchStride: number;
}

/**
 * Gradients of attention from gradOut [B, Hq, Tq, Dv] (and the forward's out and lse): gradQ, gradK
 * and gradV are overwritten; gradK/gradV sum over the query heads that share a key head.
 */
export interface AttentionBackwardArgs extends AttentionArgs {
  gradOut: number;
  gradQ: number;
  gradK: number;
  gradV: number;
}

/**
 * y[m, n] = x[m, k] W[n, k]^T with W in a compact storage format, decoded on the fly: x and y are
 * float32, W's rows are `type` (a ggml type code: 0 F32, 1 F16, 30 BF16, 8 Q8_0, 2 Q4_0, 12 Q4_K,
 * 14 Q6_K; layouts in src/io/quant-blocks.ts), k a whole number of the format's blocks. With
 * `bias` (float32 [n]), y[i, j] += bias[j] in the same call (a Linear's bias without an op of its own).
 */
export interface QuantMatmulArgs {
  type: number;
  m: number;
  n: number;
  k: number;
  x: number;
  w: number;
  y: number;
  /** Address of float32 bias[n]; 0 or absent: none. */
  bias?: number;
}

export interface AdamWArgs {
  param: number;
  grad: number;
  m: number;
  v: number;
  n: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step number, for bias correction. */
  step: number;
}

/** The table of kernels every backend provides. All calls are synchronous. */
export interface Backend {
  /** 'reference', 'wasm-simd' or 'wasm-relaxed-simd'. */
  readonly name: string;
  readonly threads: number;
  readonly memory: WebAssembly.Memory;
  /** First byte the tensor heap may use (everything below belongs to the backend). */
  readonly heapBase: number;
  /** Float32 / Int32 views of the whole current memory (new views after the memory grows). */
  f32(): Float32Array;
  i32(): Int32Array;
  /** Grows the memory so that it holds at least `bytes`; throws past the wasm32 4 GiB limit. */
  ensureMemory(bytes: number): void;
  /** Stops worker threads. The backend is unusable afterwards. */
  dispose(): void;

  gemm(args: GemmArgs): void;
  /** out[i] = op(x[i]) for i < n. */
  unary(op: UnaryOp, x: number, out: number, n: number): void;
  /** out (contiguous, `shape`) = op(a, b) with element strides per dim for a and b (0 broadcasts). */
  binary(
    op: BinaryOp,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void;
  /** out[i] = op(x[i], s), or op(s, x[i]) when scalarFirst. */
  binaryScalar(op: BinaryOp, x: number, s: number, out: number, n: number, scalarFirst: boolean): void;
  /** out (contiguous) = cond != 0 ? a : b, each strided over `shape`. */
  where(
    cond: number,
    cStrides: ArrayLike<number>,
    a: number,
    aStrides: ArrayLike<number>,
    b: number,
    bStrides: ArrayLike<number>,
    out: number,
    shape: ArrayLike<number>,
  ): void;
  /** Strided copy of 4-byte elements: out[idx . outStrides] = x[idx . xStrides] over `shape`. */
  copy(
    x: number,
    xStrides: ArrayLike<number>,
    out: number,
    outStrides: ArrayLike<number>,
    shape: ArrayLike<number>,
  ): void;
  /** out[i] = value for i < n (float32). */
  fill(out: number, n: number, value: number): void;
  /** y[i] += alpha * x[i]. */
  axpy(alpha: number, x: number, y: number, n: number): void;
  /** Reduce a contiguous [outer, len, inner] view over `len` into out [outer, inner]. */
  reduce(op: ReduceOp, x: number, out: number, outer: number, len: number, inner: number): void;
  /** Sum of squares of x[0..n), accumulated in float64 (gradient-norm clipping). */
  sumSquares(x: number, n: number): number;
  /** Row-wise softmax (or log-softmax) of [rows, cols]. */
  softmax(x: number, out: number, rows: number, cols: number, log: boolean): void;
  /** dx from the output y and dy of softmax (or log-softmax); dx may not alias. */
  softmaxBackward(y: number, dy: number, dx: number, rows: number, cols: number, log: boolean): void;
  /** out = x * rstd * w per row of [rows, cols]; writes rstd [rows]. */
  rmsnorm(x: number, w: number, out: number, rstd: number, rows: number, cols: number, eps: number): void;
  /** dx = d/dx (overwritten); dw += d/dw (accumulated). */
  rmsnormBackward(
    x: number,
    w: number,
    rstd: number,
    dy: number,
    dx: number,
    dw: number,
    rows: number,
    cols: number,
  ): void;
  /**
   * Per-row softmax cross-entropy of logits [rows, vocab] against int32 targets [rows]:
   * loss[r] = lse[r] - logits[r, t]; rows whose target equals ignoreIndex get loss 0.
   */
  crossEntropy(
    logits: number,
    targets: number,
    loss: number,
    lse: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void;
  /** dlogits[r] = dloss[r] * (softmax(logits[r]) - onehot(t)), 0 for ignored rows. */
  crossEntropyBackward(
    logits: number,
    targets: number,
    lse: number,
    dloss: number,
    dlogits: number,
    rows: number,
    vocab: number,
    ignoreIndex: number,
  ): void;
  /** out = silu(g) * u. */
  swiglu(g: number, u: number, out: number, n: number): void;
  /** dg, du from dy (overwritten). */
  swigluBackward(g: number, u: number, dy: number, dg: number, du: number, n: number): void;
  attention(args: AttentionArgs): void;
  attentionBackward(args: AttentionBackwardArgs): void;
  /** out[o, j, i] = x[o, idx[j], i] for x [outer, lenIn, inner], int32 idx [nIdx]. */
  indexSelect(x: number, idx: number, out: number, outer: number, lenIn: number, nIdx: number, inner: number): void;
  /** out[o, idx[j], i] += src[o, j, i] (the backward of indexSelect). */
  indexAdd(src: number, idx: number, out: number, outer: number, lenOut: number, nIdx: number, inner: number): void;
  /** out[o, j, i] = x[o, idx[o, j, i], i] for x [outer, lenIn, inner], idx/out [outer, lenIdx, inner]. */
  gather(x: number, idx: number, out: number, outer: number, lenIn: number, lenIdx: number, inner: number): void;
  /** out[o, idx[o, j, i], i] += src[o, j, i] (the backward of gather). */
  scatterAdd(src: number, idx: number, out: number, outer: number, lenOut: number, lenIdx: number, inner: number): void;
  /** Top-k of each row of [rows, cols]: values descending, ties to the lower index; int32 indices. */
  topk(x: number, values: number, indices: number, rows: number, cols: number, k: number): void;
  /** Inclusive cumulative sum over `len` of a contiguous [outer, len, inner] view. */
  cumsum(x: number, out: number, outer: number, len: number, inner: number, reverse: boolean): void;
  /** One AdamW step in place on param, m, v (decoupled weight decay: p -= lr * wd * p). */
  adamw(args: AdamWArgs): void;
  /** Product with a compact (quantized or half-precision) weight matrix; see QuantMatmulArgs. */
  quantMatmul(args: QuantMatmulArgs): void;
  /** out[i, 0..k) = row idx[i] of the compact matrix w (ggml type code `type`, k columns), decoded to float32. */
  quantRows(type: number, k: number, w: number, idx: number, count: number, out: number): void;
}
