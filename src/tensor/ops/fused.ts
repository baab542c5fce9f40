/**
 * Fused ops with their own kernels and backward: softmax / log-softmax over the last axis, softmax
 * cross-entropy with ignore-index, RMSNorm, SwiGLU and scaled dot-product attention (causal and/or
 * additive mask, any softmax scale, key/value heads shared by groups of query heads as MLA's absorbed
 * path needs). Each saves what its backward kernel needs (lse, rstd) instead of re-deriving it.
 */
import { fmtShape, type Tensor } from '../tensor.js';
import { checkF32, checkI32, prod, record, sameShape, wantsGrad } from './common.js';

function lastAxisRows(op: string, x: Tensor): { rows: number; cols: number } {
  if (x.rank === 0) throw new Error(`${op}: needs at least one dim, got a scalar`);
  return { rows: prod(x.shape, 0, x.rank - 1), cols: x.shape[x.rank - 1]! };
}

function softmaxImpl(op: string, x: Tensor, log: boolean): Tensor {
  checkF32(op, 'x', x);
  const { rows, cols } = lastAxisRows(op, x);
  const e = x.engine,
    src = e.contiguous(x),
    y = e.empty(x.shape);
  e.backend.softmax(src.ptr, y.ptr, rows, cols, log);
  return record(y, op, [x], (g) => {
    const gc = e.contiguous(g),
      dx = e.empty(x.shape);
    e.backend.softmaxBackward(y.ptr, gc.ptr, dx.ptr, rows, cols, log);
    return [dx];
  });
}

/** Softmax over the last axis. */
export const softmax = (x: Tensor): Tensor => softmaxImpl('softmax', x, false);
/** Log-softmax over the last axis. */
export const logSoftmax = (x: Tensor): Tensor => softmaxImpl('logSoftmax', x, true);

/**
 * Mean softmax cross-entropy of logits [..., V] against int32 targets [...], skipping targets equal
 * to ignoreIndex (default -100). Returns a scalar; 0 when every target is ignored.
 */
export function crossEntropy(logits: Tensor, targets: Tensor, ignoreIndex = -100): Tensor {
  checkF32('crossEntropy', 'logits', logits);
  checkI32('crossEntropy', 'targets', targets);
  const { rows, cols: vocab } = lastAxisRows('crossEntropy', logits);
  if (!sameShape(targets.shape, logits.shape.slice(0, -1))) {
    throw new Error(
      `crossEntropy: targets ${fmtShape(targets.shape)} must have the shape of logits ${fmtShape(logits.shape)} without its last dim`,
    );
  }
  const e = logits.engine,
    L = e.contiguous(logits),
    T = e.contiguous(targets);
  const ids = e.read(T);
  let count = 0;
  for (let i = 0; i < ids.length; i++) {
    const t = ids[i]!;
    if (t === ignoreIndex) continue;
    if (t < 0 || t >= vocab)
      throw new Error(
        `crossEntropy: target ${t} at position ${i} is out of range [0, ${vocab}) (ignoreIndex ${ignoreIndex})`,
      );
    count++;
  }
  const loss = e.empty([rows]),
    lse = e.empty([rows]);
  e.backend.crossEntropy(L.ptr, T.ptr, loss.ptr, lse.ptr, rows, vocab, ignoreIndex);
  let total = 0;
  for (const v of e.read(loss)) total += v;
  const out = e.scalar(count === 0 ? 0 : total / count);
  return record(out, 'crossEntropy', [logits], (g) => {
    const dloss = e.full([rows], count === 0 ? 0 : g.item() / count);
    const dl = e.empty(logits.shape);
    e.backend.crossEntropyBackward(L.ptr, T.ptr, lse.ptr, dloss.ptr, dl.ptr, rows, vocab, ignoreIndex);
    return [dl];
  });
}

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * weight. */
export function rmsNorm(x: Tensor, weight: Tensor, eps: number): Tensor {
  checkF32('rmsNorm', 'x', x);
  checkF32('rmsNorm', 'weight', weight);
  const { rows, cols } = lastAxisRows('rmsNorm', x);
  if (weight.rank !== 1 || weight.shape[0] !== cols) {
    throw new Error(`rmsNorm: weight ${fmtShape(weight.shape)} must be [${cols}] for x ${fmtShape(x.shape)}`);
  }
  const e = x.engine,
    X = e.contiguous(x),
    W = e.contiguous(weight);
  const y = e.empty(x.shape),
    rstd = e.empty([rows]);
  e.backend.rmsnorm(X.ptr, W.ptr, y.ptr, rstd.ptr, rows, cols, eps);
  return record(y, 'rmsNorm', [x, weight], (g) => {
    const G = e.contiguous(g),
      dx = e.empty(x.shape),
      dw = e.zeros([cols]);
    e.backend.rmsnormBackward(X.ptr, W.ptr, rstd.ptr, G.ptr, dx.ptr, dw.ptr, rows, cols);
    return [dx, dw];
  });
}

/** SwiGLU: silu(gate) * up, same shapes. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  checkF32('swiglu', 'gate', gate);
  checkF32('swiglu', 'up', up);
  if (!sameShape(gate.shape, up.shape))
    throw new Error(`swiglu: gate ${fmtShape(gate.shape)} and up ${fmtShape(up.shape)} must have the same shape`);
  const e = gate.engine,
    G = e.contiguous(gate),
    U = e.contiguous(up),
    y = e.empty(gate.shape);
  e.backend.swiglu(G.ptr, U.ptr, y.ptr, y.size);
  return record(y, 'swiglu', [gate, up], (g) => {
    const dy = e.contiguous(g),
      dg = e.empty(gate.shape),
      du = e.empty(up.shape);
    e.backend.swigluBackward(G.ptr, U.ptr, dy.ptr, dg.ptr, du.ptr, y.size);
    return [dg, du];
  });
}

export interface AttentionOptions {
  /** Softmax scale applied to q.k (default 1/sqrt(Dk)). */
  scale?: number;
  /** Query i (absolute position i + Tk - Tq) sees keys j <= i + Tk - Tq. */
  causal?: boolean;
  /** Additive mask [Tq, Tk] or [B, Tq, Tk]; -Infinity hides a key. No gradient flows into it. */
  mask?: Tensor;
}

/**
 * Scaled dot-product attention: q [B, Hq, Tq, Dk], k [B, Hk, Tk, Dk], v [B, Hk, Tk, Dv] with
 * Hq % Hk == 0 -> [B, Hq, Tq, Dv].
 */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  checkF32('attention', 'q', q);
  checkF32('attention', 'k', k);
  checkF32('attention', 'v', v);
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new Error(
      `attention: q, k, v must be rank 4 [B, H, T, D], got ${fmtShape(q.shape)}, ${fmtShape(k.shape)}, ${fmtShape(v.shape)}`,
    );
  }
  const [B, Hq, Tq, Dk] = q.shape as [number, number, number, number];
  const [, Hk, Tk, Dv] = v.shape as [number, number, number, number];
  if (
    k.shape[0] !== B ||
    v.shape[0] !== B ||
    k.shape[1] !== Hk ||
    k.shape[2] !== Tk ||
    k.shape[3] !== Dk ||
    Hq % Hk !== 0
  ) {
    throw new Error(
      `attention: incompatible shapes q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)} ` +
        `(need k [B, Hk, Tk, Dk], v [B, Hk, Tk, Dv], Hq % Hk == 0)`,
    );
  }
  const e = q.engine;
  let maskPtr = 0,
    maskBatchStride = 0;
  let M: Tensor | undefined;
  if (opts.mask) {
    checkF32('attention', 'mask', opts.mask);
    const ms = opts.mask.shape;
    const ok =
      (ms.length === 2 && ms[0] === Tq && ms[1] === Tk) ||
      (ms.length === 3 && (ms[0] === B || ms[0] === 1) && ms[1] === Tq && ms[2] === Tk);
    if (!ok) throw new Error(`attention: mask ${fmtShape(ms)} must be [${Tq}, ${Tk}] or [${B}, ${Tq}, ${Tk}]`);
    M = e.contiguous(opts.mask);
    maskPtr = M.ptr;
    maskBatchStride = ms.length === 3 && ms[0] === B && B > 1 ? Tq * Tk : 0;
  }
  const Q = e.contiguous(q),
    K = e.contiguous(k),
    V = e.contiguous(v);
  const out = e.empty([B, Hq, Tq, Dv]),
    lse = e.empty([B, Hq, Tq]);
  const args = {
    batch: B,
    headsQ: Hq,
    headsK: Hk,
    tq: Tq,
    tk: Tk,
    dk: Dk,
    dv: Dv,
    scale: opts.scale ?? 1 / Math.sqrt(Dk),
    causal: opts.causal ?? false,
    q: Q.ptr,
    k: K.ptr,
    v: V.ptr,
    out: out.ptr,
    lse: lse.ptr,
    mask: maskPtr,
    maskBatchStride,
  };
  e.backend.attention(args);
  if (!wantsGrad(q, k, v)) {
    lse.dispose();
    return out;
  }
  return record(out, 'attention', [q, k, v], (g) => {
    const dout = e.contiguous(g);
    const dq = e.empty(q.shape),
      dk = e.empty(k.shape),
      dv = e.empty(v.shape);
    e.backend.attentionBackward({ ...args, gradOut: dout.ptr, gradQ: dq.ptr, gradK: dk.ptr, gradV: dv.ptr });
    return [dq, dk, dv];
  });
}
