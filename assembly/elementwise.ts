// Elementwise kernels over contiguous float32 ranges: unary math, binary with a scalar, fill, axpy,
// SwiGLU and its backward, AdamW. Each thread takes a contiguous share of [0, n) aligned to 16
// elements; the body runs 4 lanes at a time and the tail goes through the same vector code (lane 0),
// so results do not depend on the split. Op codes mirror src/kernels/backend.ts.
import { argf, argi, argp, at, rng } from './args';
import { lane0, vexp, vlog, vsigmoid, vtanh } from './simd';

// @ts-ignore: decorator
@inline function sp(x: f32): v128 { return f32x4.splat(x); }

function unaryV(op: i32, x: v128): v128 {
  switch (op) {
    case 0: return f32x4.neg(x);
    case 1: return vexp(x);
    case 2: return vlog(x);
    case 3: return f32x4.sqrt(x);
    case 4: return f32x4.div(sp(1), f32x4.sqrt(x));
    case 5: return vsigmoid(x);
    case 6: return f32x4.mul(x, vsigmoid(x));
    case 7: return vtanh(x);
    case 8: return f32x4.abs(x);
    case 9: return f32x4.div(sp(1), x);
    case 10: return f32x4.mul(x, x);
    case 11: // sign: 1, -1, 0 (0 for NaN, as the reference)
      return v128.or(v128.and(f32x4.gt(x, sp(0)), sp(1)), v128.and(f32x4.lt(x, sp(0)), sp(-1)));
    case 12: return v128.and(x, f32x4.gt(x, sp(0)));
    default: return x;
  }
}

// args: 0 op, 1 x, 2 out, 3 n
export function unaryJob(tid: i32, nt: i32): void {
  const op = argi(0), x = argp(1), out = argp(2), n = argi(3);
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), unaryV(op, v128.load(at(x, i))));
  for (; i < e; i++) store<f32>(at(out, i), lane0(unaryV(op, f32x4.splat(load<f32>(at(x, i))))));
}

/** op(a, b) for the vectorisable binary ops (all but POW). */
export function binaryV(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case 0: return f32x4.add(a, b);
    case 1: return f32x4.sub(a, b);
    case 2: return f32x4.mul(a, b);
    case 3: return f32x4.div(a, b);
    case 4: return f32x4.max(a, b);
    case 5: return f32x4.min(a, b);
    case 7: return v128.and(f32x4.eq(a, b), sp(1));
    case 8: return v128.and(f32x4.ne(a, b), sp(1));
    case 9: return v128.and(f32x4.lt(a, b), sp(1));
    case 10: return v128.and(f32x4.le(a, b), sp(1));
    case 11: return v128.and(f32x4.gt(a, b), sp(1));
    case 12: return v128.and(f32x4.ge(a, b), sp(1));
    default: return f32x4.splat(<f32>Math.pow(<f64>f32x4.extract_lane(a, 0), <f64>f32x4.extract_lane(b, 0)));
  }
}

export function binaryS(op: i32, a: f32, b: f32): f32 {
  if (op == 6) return <f32>Math.pow(<f64>a, <f64>b);
  return lane0(binaryV(op, f32x4.splat(a), f32x4.splat(b)));
}

// args: 0 op, 1 x, 2 s, 3 out, 4 n, 5 scalarFirst
export function binaryScalarJob(tid: i32, nt: i32): void {
  const op = argi(0), x = argp(1), sv = <f32>argf(2), out = argp(3), n = argi(4), first = argi(5) != 0;
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  if (op == 6) {
    for (; i < e; i++) { const v = load<f32>(at(x, i)); store<f32>(at(out, i), first ? binaryS(6, sv, v) : binaryS(6, v, sv)); }
    return;
  }
  const S = f32x4.splat(sv);
  if (first) for (; i + 4 <= e; i += 4) v128.store(at(out, i), binaryV(op, S, v128.load(at(x, i))));
  else for (; i + 4 <= e; i += 4) v128.store(at(out, i), binaryV(op, v128.load(at(x, i)), S));
  for (; i < e; i++) { const v = load<f32>(at(x, i)); store<f32>(at(out, i), first ? binaryS(op, sv, v) : binaryS(op, v, sv)); }
}

// args: 0 out, 1 n, 2 value
export function fillJob(tid: i32, nt: i32): void {
  const out = argp(0), n = argi(1), V = f32x4.splat(<f32>argf(2));
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), V);
  for (; i < e; i++) store<f32>(at(out, i), f32x4.extract_lane(V, 0));
}

// args: 0 alpha, 1 x, 2 y, 3 n
export function axpyJob(tid: i32, nt: i32): void {
  const al = <f32>argf(0), x = argp(1), y = argp(2), n = argi(3), A = f32x4.splat(al);
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(y, i), f32x4.add(v128.load(at(y, i)), f32x4.mul(A, v128.load(at(x, i)))));
  for (; i < e; i++) store<f32>(at(y, i), load<f32>(at(y, i)) + al * load<f32>(at(x, i)));
}

// @ts-ignore: decorator
@inline function swigluV(g: v128, u: v128): v128 { return f32x4.mul(f32x4.mul(g, vsigmoid(g)), u); }

// args: 0 g, 1 u, 2 out, 3 n
export function swigluJob(tid: i32, nt: i32): void {
  const g = argp(0), u = argp(1), out = argp(2), n = argi(3);
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) v128.store(at(out, i), swigluV(v128.load(at(g, i)), v128.load(at(u, i))));
  for (; i < e; i++) store<f32>(at(out, i), lane0(swigluV(f32x4.splat(load<f32>(at(g, i))), f32x4.splat(load<f32>(at(u, i))))));
}

// @ts-ignore: decorator
@inline function swigluBwdLane(g: usize, u: usize, dy: usize, dg: usize, du: usize, i: i32): void {
  const G = v128.load(at(g, i)), U = v128.load(at(u, i)), D = v128.load(at(dy, i));
  const S = vsigmoid(G);
  // d silu(g)/dg = s + g s (1 - s)
  const dsilu = f32x4.add(S, f32x4.mul(f32x4.mul(G, S), f32x4.sub(sp(1), S)));
  v128.store(at(dg, i), f32x4.mul(f32x4.mul(D, U), dsilu));
  v128.store(at(du, i), f32x4.mul(D, f32x4.mul(G, S)));
}

// args: 0 g, 1 u, 2 dy, 3 dg, 4 du, 5 n
export function swigluBwdJob(tid: i32, nt: i32): void {
  const g = argp(0), u = argp(1), dy = argp(2), dg = argp(3), du = argp(4), n = argi(5);
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  let i = s;
  for (; i + 4 <= e; i += 4) swigluBwdLane(g, u, dy, dg, du, i);
  for (; i < e; i++) {
    const G = f32x4.splat(load<f32>(at(g, i))), U = load<f32>(at(u, i)), D = load<f32>(at(dy, i));
    const S = vsigmoid(G);
    const dsilu = lane0(f32x4.add(S, f32x4.mul(f32x4.mul(G, S), f32x4.sub(sp(1), S))));
    store<f32>(at(dg, i), D * U * dsilu);
    store<f32>(at(du, i), D * lane0(f32x4.mul(G, S)));
  }
}

// args: 0 param, 1 grad, 2 m, 3 v, 4 n, 5 lr, 6 beta1, 7 beta2, 8 eps, 9 weightDecay, 10 step
// PyTorch AdamW order: p *= 1 - lr*wd; m, v updated; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
export function adamwJob(tid: i32, nt: i32): void {
  const p = argp(0), g = argp(1), m = argp(2), v = argp(3), n = argi(4);
  const lr = argf(5), b1 = argf(6), b2 = argf(7), eps = argf(8), wd = argf(9), step = argf(10);
  const bc1 = 1 - Math.pow(b1, step), bc2 = 1 - Math.pow(b2, step);
  const decay = sp(<f32>(1 - lr * wd)), stepSize = sp(<f32>(lr / bc1)), rsb = sp(<f32>(1 / Math.sqrt(bc2)));
  const B1 = sp(<f32>b1), B2 = sp(<f32>b2), C1 = sp(<f32>(1 - b1)), C2 = sp(<f32>(1 - b2)), E = sp(<f32>eps);
  const s = rng(n, tid, nt, 16), e = rng(n, tid + 1, nt, 16);
  for (let i = s; i < e; i += 4) {
    if (i + 4 <= e) {
      const G = v128.load(at(g, i));
      const M = f32x4.add(f32x4.mul(B1, v128.load(at(m, i))), f32x4.mul(C1, G));
      const V = f32x4.add(f32x4.mul(B2, v128.load(at(v, i))), f32x4.mul(C2, f32x4.mul(G, G)));
      const den = f32x4.add(f32x4.mul(f32x4.sqrt(V), rsb), E);
      const P = f32x4.sub(f32x4.mul(v128.load(at(p, i)), decay), f32x4.div(f32x4.mul(stepSize, M), den));
      v128.store(at(m, i), M); v128.store(at(v, i), V); v128.store(at(p, i), P);
    } else {
      for (let j = i; j < e; j++) {
        const G = load<f32>(at(g, j));
        const M = lane0(B1) * load<f32>(at(m, j)) + lane0(C1) * G;
        const V = lane0(B2) * load<f32>(at(v, j)) + lane0(C2) * (G * G);
        const den = Mathf.sqrt(V) * lane0(rsb) + lane0(E);
        store<f32>(at(m, j), M); store<f32>(at(v, j), V);
        store<f32>(at(p, j), load<f32>(at(p, j)) * lane0(decay) - lane0(stepSize) * M / den);
      }
    }
  }
}
