/**
 * The pure-TypeScript reference backend: every kernel of src/kernels/backend.ts as plain loops over
 * float32/int32 views of the memory, accumulating in float64 (JS numbers) wherever a sum is formed.
 *
 * It is the oracle of the kernel conformance tests and the fallback where WASM threads are not
 * available, so clarity beats speed here. The WASM backend extends this class and overrides kernels,
 * which keeps any kernel it has not (yet) specialised correct on the same memory.
 */
import {
  BinaryOp,
  ReduceOp,
  UnaryOp,
  type AdamWArgs,
  type AttentionArgs,
  type AttentionBackwardArgs,
  type Backend,
  type GemmArgs,
  type QuantMatmulArgs,
} from './backend.js';
import { quantMatmulReference, quantRowsReference } from './quant-reference.js';
import { forEachIndex } from './strided.js';

const WASM_PAGE = 65536;
const MAX_PAGES = 65536;

export function unaryFn(op: UnaryOp): (x: number) => number {
  switch (op) {
    case UnaryOp.NEG:
      return (x) => -x;
    case UnaryOp.EXP:
      return Math.exp;
    case UnaryOp.LOG:
      return Math.log;
    case UnaryOp.SQRT:
      return Math.sqrt;
    case UnaryOp.RSQRT:
      return (x) => 1 / Math.sqrt(x);
    case UnaryOp.SIGMOID:
      return (x) => 1 / (1 + Math.exp(-x));
    case UnaryOp.SILU:
      return (x) => x / (1 + Math.exp(-x));
    case UnaryOp.TANH:
      return Math.tanh;
    case UnaryOp.ABS:
      return Math.abs;
    case UnaryOp.RECIP:
      return (x) => 1 / x;
    case UnaryOp.SQUARE:
      return (x) => x * x;
    case UnaryOp.SIGN:
      return (x) => (x > 0 ? 1 : x < 0 ? -1 : 0);
    case UnaryOp.RELU:
      return (x) => (x > 0 ? x : 0);
    case UnaryOp.COPY:
      return (x) => x;
  }
  throw new Error(`unary: unknown op code ${String(op)}`);
}

export function binaryFn(op: BinaryOp): (a: number, b: number) => number {
  switch (op) {
    case BinaryOp.ADD:
      return (a, b) => a + b;
    case BinaryOp.SUB:
      return (a, b) => a - b;
    case BinaryOp.MUL:
      return (a, b) => a * b;
    case BinaryOp.DIV:
      return (a, b) => a / b;
    case BinaryOp.MAX:
      return (a, b) => (a !== a || b !== b ? NaN : a >= b ? a : b);
    case BinaryOp.MIN:
      return (a, b) => (a !== a || b !== b ? NaN : a <= b ? a : b);
    case BinaryOp.POW:
      return Math.pow;
    case BinaryOp.EQ:
      return (a, b) => (a === b ? 1 : 0);
    case BinaryOp.NE:
      return (a, b) => (a !== b ? 1 : 0);
    case BinaryOp.LT:
      return (a, b) => (a < b ? 1 : 0);
    case BinaryOp.LE:
      return (a, b) => (a <= b ? 1 : 0);
    case BinaryOp.GT:
      return (a, b) => (a > b ? 1 : 0);
    case BinaryOp.GE:
      return (a, b) => (a >= b ? 1 : 0);
  }
  throw new Error(`binary: unknown op code ${String(op)}`);
}

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

  /** Scores row for (b, h, i): returns the visible scaled+masked scores (or -Infinity). */
  private scoreRow(a: AttentionArgs, b: number, h: number, i: number, row: Float64Array): void {
    const f = this.f32(),
      hk = Math.floor(h / (a.headsQ / a.headsK));
    const q0 = (a.q >>> 2) + ((b * a.headsQ + h) * a.tq + i) * a.dk;
    const k0 = (a.k >>> 2) + (b * a.headsK + hk) * a.tk * a.dk;
    const last = a.causal ? i + a.tk - a.tq : a.tk - 1;
    for (let j = 0; j < a.tk; j++) {
      if (j > last) {
        row[j] = -Infinity;
        continue;
      }
      let s = 0;
      for (let d = 0; d < a.dk; d++) s += f[q0 + d]! * f[k0 + j * a.dk + d]!;
      s *= a.scale;
      if (a.mask !== 0) s += f[(a.mask >>> 2) + b * a.maskBatchStride + i * a.tk + j]!;
      row[j] = s;
    }
  }

  attention(a: AttentionArgs): void {
    const f = this.f32(),
      row = new Float64Array(a.tk),
      group = a.headsQ / a.headsK;
    for (let b = 0; b < a.batch; b++)
      for (let h = 0; h < a.headsQ; h++) {
        const v0 = (a.v >>> 2) + (b * a.headsK + Math.floor(h / group)) * a.tk * a.dv;
        for (let i = 0; i < a.tq; i++) {
          this.scoreRow(a, b, h, i, row);
          let m = -Infinity;
          for (let j = 0; j < a.tk; j++) m = Math.max(m, row[j]!);
          const o0 = (a.out >>> 2) + ((b * a.headsQ + h) * a.tq + i) * a.dv;
          const li = (a.lse >>> 2) + (b * a.headsQ + h) * a.tq + i;
          if (m === -Infinity) {
            for (let d = 0; d < a.dv; d++) f[o0 + d] = 0;
            f[li] = -Infinity;
            continue;
          }
          let s = 0;
          for (let j = 0; j < a.tk; j++) {
            row[j] = Math.exp(row[j]! - m);
            s += row[j]!;
          }
          for (let d = 0; d < a.dv; d++) {
            let acc = 0;
            for (let j = 0; j < a.tk; j++) acc += row[j]! * f[v0 + j * a.dv + d]!;
            f[o0 + d] = acc / s;
          }
          f[li] = m + Math.log(s);
        }
      }
  }

  attentionBackward(a: AttentionBackwardArgs): void {
    const f = this.f32(),
      group = a.headsQ / a.headsK,
      p = new Float64Array(a.tk),
      dp = new Float64Array(a.tk);
    this.fill(a.gradK, a.batch * a.headsK * a.tk * a.dk, 0);
    this.fill(a.gradV, a.batch * a.headsK * a.tk * a.dv, 0);
    for (let b = 0; b < a.batch; b++)
      for (let h = 0; h < a.headsQ; h++) {
        const hk = Math.floor(h / group);
        const k0 = (a.k >>> 2) + (b * a.headsK + hk) * a.tk * a.dk,
          v0 = (a.v >>> 2) + (b * a.headsK + hk) * a.tk * a.dv;
        const dk0 = (a.gradK >>> 2) + (b * a.headsK + hk) * a.tk * a.dk,
          dv0 = (a.gradV >>> 2) + (b * a.headsK + hk) * a.tk * a.dv;
        for (let i = 0; i < a.tq; i++) {
          const r = (b * a.headsQ + h) * a.tq + i;
          const q0 = (a.q >>> 2) + r * a.dk,
            do0 = (a.gradOut >>> 2) + r * a.dv,
            o0 = (a.out >>> 2) + r * a.dv;
          const dq0 = (a.gradQ >>> 2) + r * a.dk,
            l = f[(a.lse >>> 2) + r]!;
          for (let d = 0; d < a.dk; d++) f[dq0 + d] = 0;
          if (l === -Infinity) continue;
          this.scoreRow(a, b, h, i, p);
          // P = exp(S - lse); dP = dO V^T; dS = P * (dP - rowsum(dO * O))
          let delta = 0;
          for (let d = 0; d < a.dv; d++) delta += f[do0 + d]! * f[o0 + d]!;
          for (let j = 0; j < a.tk; j++) {
            p[j] = p[j] === -Infinity ? 0 : Math.exp(p[j]! - l);
            let s = 0;
            for (let d = 0; d < a.dv; d++) s += f[do0 + d]! * f[v0 + j * a.dv + d]!;
            dp[j] = p[j]! * (s - delta) * a.scale;
          }
          for (let j = 0; j < a.tk; j++) {
            if (p[j] === 0) continue;
            for (let d = 0; d < a.dv; d++) f[dv0 + j * a.dv + d] = f[dv0 + j * a.dv + d]! + p[j]! * f[do0 + d]!;
            for (let d = 0; d < a.dk; d++) {
              f[dq0 + d] = f[dq0 + d]! + dp[j]! * f[k0 + j * a.dk + d]!;
              f[dk0 + j * a.dk + d] = f[dk0 + j * a.dk + d]! + dp[j]! * f[q0 + d]!;
            }
          }
        }
      }
  }

  indexSelect(x: number, idx: number, out: number, outer: number, lenIn: number, nIdx: number, inner: number): void {
    const v = this.i32(),
      X = x >>> 2,
      I = idx >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < nIdx; j++) {
        const src = X + (o * lenIn + v[I + j]!) * inner,
          dst = O + (o * nIdx + j) * inner;
        for (let i = 0; i < inner; i++) v[dst + i] = v[src + i]!;
      }
  }

  indexAdd(src: number, idx: number, out: number, outer: number, lenOut: number, nIdx: number, inner: number): void {
    const f = this.f32(),
      iv = this.i32(),
      S = src >>> 2,
      I = idx >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < nIdx; j++) {
        const dst = O + (o * lenOut + iv[I + j]!) * inner,
          s0 = S + (o * nIdx + j) * inner;
        for (let i = 0; i < inner; i++) f[dst + i] = f[dst + i]! + f[s0 + i]!;
      }
  }

  gather(x: number, idx: number, out: number, outer: number, lenIn: number, lenIdx: number, inner: number): void {
    const v = this.i32(),
      X = x >>> 2,
      I = idx >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < lenIdx; j++)
        for (let i = 0; i < inner; i++) {
          const at = (o * lenIdx + j) * inner + i;
          v[O + at] = v[X + (o * lenIn + v[I + at]!) * inner + i]!;
        }
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
    const f = this.f32(),
      iv = this.i32(),
      S = src >>> 2,
      I = idx >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < lenIdx; j++)
        for (let i = 0; i < inner; i++) {
          const at = (o * lenIdx + j) * inner + i,
            dst = O + (o * lenOut + iv[I + at]!) * inner + i;
          f[dst] = f[dst]! + f[S + at]!;
        }
  }

  topk(x: number, values: number, indices: number, rows: number, cols: number, k: number): void {
    const f = this.f32(),
      iv = this.i32(),
      X = x >>> 2,
      V = values >>> 2,
      I = indices >>> 2;
    const order = new Int32Array(cols);
    for (let r = 0; r < rows; r++) {
      const base = X + r * cols;
      for (let j = 0; j < cols; j++) order[j] = j;
      // NaN sorts first (as the largest), then descending value, ties to the lower index.
      const key = (j: number) => {
        const v = f[base + j]!;
        return v !== v ? Infinity : v;
      };
      order.sort((p, q) => key(q) - key(p) || p - q);
      for (let j = 0; j < k; j++) {
        f[V + r * k + j] = f[base + order[j]!]!;
        iv[I + r * k + j] = order[j]!;
      }
    }
  }

  cumsum(x: number, out: number, outer: number, len: number, inner: number, reverse: boolean): void {
    const f = this.f32(),
      X = x >>> 2,
      O = out >>> 2;
    for (let o = 0; o < outer; o++)
      for (let i = 0; i < inner; i++) {
        let s = 0;
        for (let t = 0; t < len; t++) {
          const j = reverse ? len - 1 - t : t,
            at = (o * len + j) * inner + i;
          s += f[X + at]!;
          f[O + at] = s;
        }
      }
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
