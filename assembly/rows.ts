// Row kernels: axis reductions, sum of squares, softmax / log-softmax (+ backward), RMSNorm
// (+ backward), softmax cross-entropy (+ backward). Rows are split across threads; each row is
// processed by one thread in a fixed order, so results do not depend on the thread count.
// Op codes mirror src/kernels/backend.ts (ReduceOp).
import { argf, argi, argp, at, PARTIALS, rng } from './args';
import { lane0, vexp } from './simd';

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
// @ts-ignore: decorator
@inline function expS(x: f32): f32 { return lane0(vexp(f32x4.splat(x))); }

function rowMax(x: usize, n: i32): f32 {
  let i = 0, m: f32 = -Infinity;
  if (n >= 4) {
    let M = v128.load(x);
    for (i = 4; i + 4 <= n; i += 4) M = f32x4.max(M, v128.load(at(x, i)));
    m = max(max(f32x4.extract_lane(M, 0), f32x4.extract_lane(M, 1)), max(f32x4.extract_lane(M, 2), f32x4.extract_lane(M, 3)));
  }
  for (; i < n; i++) m = max(m, load<f32>(at(x, i)));
  return m;
}

/** Sum of exp(x - mx), optionally storing each term at out. */
function rowSumExp(x: usize, mx: f32, n: i32, out: usize): f32 {
  const M = f32x4.splat(mx);
  let S = f32x4.splat(0), i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = vexp(f32x4.sub(v128.load(at(x, i)), M));
    if (out) v128.store(at(out, i), e);
    S = f32x4.add(S, e);
  }
  let s = hsum(S);
  for (; i < n; i++) {
    const e = expS(load<f32>(at(x, i)) - mx);
    if (out) store<f32>(at(out, i), e);
    s += e;
  }
  return s;
}

/** Sum in float64 of x[0..n) (or of x^2 when sq, squared in float64). */
function rowSum64(x: usize, n: i32, sq: bool): f64 {
  let S0 = f64x2.splat(0), S1 = f64x2.splat(0), i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(at(x, i));
    const lo = f64x2.promote_low_f32x4(v), hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    S0 = f64x2.add(S0, sq ? f64x2.mul(lo, lo) : lo);
    S1 = f64x2.add(S1, sq ? f64x2.mul(hi, hi) : hi);
  }
  let s = (f64x2.extract_lane(S0, 0) + f64x2.extract_lane(S1, 0)) + (f64x2.extract_lane(S0, 1) + f64x2.extract_lane(S1, 1));
  for (; i < n; i++) { const v = <f64>load<f32>(at(x, i)); s += sq ? v * v : v; }
  return s;
}

function reduceScalar(op: i32, x: usize, stride: i32, len: i32, out: usize): void {
  if (op == 4 || op == 5) {
    let best = load<f32>(x), bi = 0;
    for (let l = 1; l < len; l++) {
      const v = load<f32>(at(x, l * stride));
      if (op == 4 ? v > best : v < best) { best = v; bi = l; }
    }
    store<i32>(out, bi);
    return;
  }
  let acc: f64 = op == 0 ? 0 : <f64>load<f32>(x);
  if (op == 3) {
    let m: f32 = -Infinity;
    for (let l = 0; l < len; l++) m = max(m, load<f32>(at(x, l * stride)));
    if (m == -Infinity || m == Infinity || isNaN(m)) { store<f32>(out, m); return; }
    let s: f64 = 0;
    for (let l = 0; l < len; l++) s += <f64>expS(load<f32>(at(x, l * stride)) - m);
    store<f32>(out, <f32>(<f64>m + Math.log(s)));
    return;
  }
  for (let l = op == 0 ? 0 : 1; l < len; l++) {
    const v = <f64>load<f32>(at(x, l * stride));
    acc = op == 0 ? acc + v : op == 1 ? (v > acc || isNaN(v) ? v : acc) : (v < acc || isNaN(v) ? v : acc);
  }
  store<f32>(out, <f32>acc);
}

// args: 0 op, 1 x, 2 out, 3 outer, 4 len, 5 inner
export function reduceJob(tid: i32, nt: i32): void {
  const op = argi(0), x = argp(1), out = argp(2), outer = argi(3), len = argi(4), inner = argi(5);
  if (inner == 1) {
    const s = rng(outer, tid, nt, 1), e = rng(outer, tid + 1, nt, 1);
    for (let o = s; o < e; o++) {
      const row = at(x, o * len);
      if (op == 0) store<f32>(at(out, o), <f32>rowSum64(row, len, false));
      else if (op == 1 && len >= 4) store<f32>(at(out, o), rowMax(row, len));
      else reduceScalar(op, row, 1, len, at(out, o));
    }
    return;
  }
  // [outer, len, inner]: split the (outer, inner) output grid by outer rows, or by columns if few
  let o0 = 0, o1 = outer, i0 = 0, i1 = inner;
  if (outer >= nt) { o0 = rng(outer, tid, nt, 1); o1 = rng(outer, tid + 1, nt, 1); }
  else { i0 = rng(inner, tid, nt, 4); i1 = rng(inner, tid + 1, nt, 4); }
  for (let o = o0; o < o1; o++) {
    const base = at(x, o * len * inner), ob = at(out, o * inner);
    if (op == 0 || op == 1 || op == 2) {
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        let A = v128.load(at(base, i));
        for (let l = 1; l < len; l++) {
          const v = v128.load(at(base, l * inner + i));
          A = op == 0 ? f32x4.add(A, v) : op == 1 ? f32x4.max(A, v) : f32x4.min(A, v);
        }
        v128.store(at(ob, i), A);
      }
      for (; i < i1; i++) reduceScalar(op, at(base, i), inner, len, at(ob, i));
    } else {
      for (let i = i0; i < i1; i++) reduceScalar(op, at(base, i), inner, len, at(ob, i));
    }
  }
}

// args: 0 x, 1 n; writes thread partials (float64) at PARTIALS, summed by the host in order.
export function sumSquaresJob(tid: i32, nt: i32): void {
  const x = argp(0), n = argi(1);
  const s = rng(n, tid, nt, 1024), e = rng(n, tid + 1, nt, 1024);
  store<f64>(PARTIALS + (<usize>tid << 3), s < e ? rowSum64(at(x, s), e - s, true) : 0);
}

// args: 0 x, 1 out, 2 rows, 3 cols, 4 log
export function softmaxJob(tid: i32, nt: i32): void {
  const x = argp(0), out = argp(1), rows = argi(2), cols = argi(3), lg = argi(4) != 0;
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(x, r * cols), orow = at(out, r * cols);
    const mx = rowMax(xr, cols);
    const sum = rowSumExp(xr, mx, cols, lg ? 0 : orow);
    if (lg) {
      const sh = f32x4.splat(<f32>(<f64>mx + Math.log(<f64>sum)));
      let i = 0;
      for (; i + 4 <= cols; i += 4) v128.store(at(orow, i), f32x4.sub(v128.load(at(xr, i)), sh));
      for (; i < cols; i++) store<f32>(at(orow, i), load<f32>(at(xr, i)) - f32x4.extract_lane(sh, 0));
    } else {
      const inv = f32x4.splat(<f32>(1 / <f64>sum));
      let i = 0;
      for (; i + 4 <= cols; i += 4) v128.store(at(orow, i), f32x4.mul(v128.load(at(orow, i)), inv));
      for (; i < cols; i++) store<f32>(at(orow, i), load<f32>(at(orow, i)) * f32x4.extract_lane(inv, 0));
    }
  }
}

// args: 0 y, 1 dy, 2 dx, 3 rows, 4 cols, 5 log
export function softmaxBwdJob(tid: i32, nt: i32): void {
  const y = argp(0), dy = argp(1), dx = argp(2), rows = argi(3), cols = argi(4), lg = argi(5) != 0;
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const yr = at(y, r * cols), dyr = at(dy, r * cols), dxr = at(dx, r * cols);
    let S = f32x4.splat(0), i = 0;
    for (; i + 4 <= cols; i += 4) {
      const d = v128.load(at(dyr, i));
      S = f32x4.add(S, lg ? d : f32x4.mul(d, v128.load(at(yr, i))));
    }
    let t = hsum(S);
    for (; i < cols; i++) t += lg ? load<f32>(at(dyr, i)) : load<f32>(at(dyr, i)) * load<f32>(at(yr, i));
    const T = f32x4.splat(t);
    for (i = 0; i + 4 <= cols; i += 4) {
      const Y = v128.load(at(yr, i)), D = v128.load(at(dyr, i));
      v128.store(at(dxr, i), lg ? f32x4.sub(D, f32x4.mul(vexp(Y), T)) : f32x4.mul(Y, f32x4.sub(D, T)));
    }
    for (; i < cols; i++) {
      const Y = load<f32>(at(yr, i)), D = load<f32>(at(dyr, i));
      store<f32>(at(dxr, i), lg ? D - expS(Y) * t : Y * (D - t));
    }
  }
}

// args: 0 x, 1 w, 2 out, 3 rstd, 4 rows, 5 cols, 6 eps
export function rmsnormJob(tid: i32, nt: i32): void {
  const x = argp(0), w = argp(1), out = argp(2), rstd = argp(3), rows = argi(4), cols = argi(5), eps = argf(6);
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(x, r * cols), orow = at(out, r * cols);
    const rs = <f32>(1 / Math.sqrt(rowSum64(xr, cols, true) / cols + eps));
    store<f32>(at(rstd, r), rs);
    const R = f32x4.splat(rs);
    let i = 0;
    for (; i + 4 <= cols; i += 4) v128.store(at(orow, i), f32x4.mul(f32x4.mul(v128.load(at(xr, i)), R), v128.load(at(w, i))));
    for (; i < cols; i++) store<f32>(at(orow, i), load<f32>(at(xr, i)) * rs * load<f32>(at(w, i)));
  }
}

// args: 0 x, 1 w, 2 rstd, 3 dy, 4 dx, 5 dw, 6 rows, 7 cols
// dx = r w dy - r^3 x (sum_j w dy x) / cols (threads by rows); dw += sum_r dy x r (threads by columns).
export function rmsnormBwdJob(tid: i32, nt: i32): void {
  const x = argp(0), w = argp(1), rstd = argp(2), dy = argp(3), dx = argp(4), dw = argp(5);
  const rows = argi(6), cols = argi(7);
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(x, r * cols), dyr = at(dy, r * cols), dxr = at(dx, r * cols);
    const rs = load<f32>(at(rstd, r));
    let S = f32x4.splat(0), i = 0;
    for (; i + 4 <= cols; i += 4) S = f32x4.add(S, f32x4.mul(f32x4.mul(v128.load(at(w, i)), v128.load(at(dyr, i))), v128.load(at(xr, i))));
    let dot = hsum(S);
    for (; i < cols; i++) dot += load<f32>(at(w, i)) * load<f32>(at(dyr, i)) * load<f32>(at(xr, i));
    const c = rs * rs * rs * dot / <f32>cols;
    const R = f32x4.splat(rs), C = f32x4.splat(c);
    for (i = 0; i + 4 <= cols; i += 4) {
      v128.store(at(dxr, i), f32x4.sub(f32x4.mul(R, f32x4.mul(v128.load(at(w, i)), v128.load(at(dyr, i)))), f32x4.mul(C, v128.load(at(xr, i)))));
    }
    for (; i < cols; i++) store<f32>(at(dxr, i), rs * (load<f32>(at(w, i)) * load<f32>(at(dyr, i))) - c * load<f32>(at(xr, i)));
  }
  const j0 = rng(cols, tid, nt, 4), j1 = rng(cols, tid + 1, nt, 4);
  for (let r = 0; r < rows; r++) {
    const xr = at(x, r * cols), dyr = at(dy, r * cols), R = v128.load32_splat(at(rstd, r));
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      v128.store(at(dw, j), f32x4.add(v128.load(at(dw, j)), f32x4.mul(f32x4.mul(v128.load(at(dyr, j)), v128.load(at(xr, j))), R)));
    }
    for (; j < j1; j++) store<f32>(at(dw, j), load<f32>(at(dw, j)) + load<f32>(at(dyr, j)) * load<f32>(at(xr, j)) * f32x4.extract_lane(R, 0));
  }
}

// args: 0 logits, 1 targets, 2 loss, 3 lse, 4 rows, 5 vocab, 6 ignoreIndex
export function crossEntropyJob(tid: i32, nt: i32): void {
  const lg = argp(0), tg = argp(1), loss = argp(2), lse = argp(3), rows = argi(4), vocab = argi(5), ign = argi(6);
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(lg, r * vocab);
    const mx = rowMax(xr, vocab);
    const l = <f32>(<f64>mx + Math.log(<f64>rowSumExp(xr, mx, vocab, 0)));
    store<f32>(at(lse, r), l);
    const t = load<i32>(at(tg, r));
    store<f32>(at(loss, r), t == ign ? 0 : t < 0 || t >= vocab ? NaN : l - load<f32>(at(xr, t)));
  }
}

// args: 0 logits, 1 targets, 2 lse, 3 dloss, 4 dlogits, 5 rows, 6 vocab, 7 ignoreIndex
export function crossEntropyBwdJob(tid: i32, nt: i32): void {
  const lg = argp(0), tg = argp(1), lse = argp(2), dl = argp(3), dlg = argp(4);
  const rows = argi(5), vocab = argi(6), ign = argi(7);
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(lg, r * vocab), dr = at(dlg, r * vocab), t = load<i32>(at(tg, r));
    if (t == ign) { memory.fill(dr, 0, <usize>vocab << 2); continue; }
    const g = load<f32>(at(dl, r)), L = v128.load32_splat(at(lse, r)), G = f32x4.splat(g);
    let i = 0;
    for (; i + 4 <= vocab; i += 4) v128.store(at(dr, i), f32x4.mul(G, vexp(f32x4.sub(v128.load(at(xr, i)), L))));
    for (; i < vocab; i++) store<f32>(at(dr, i), g * expS(load<f32>(at(xr, i)) - f32x4.extract_lane(L, 0)));
    if (t >= 0 && t < vocab) store<f32>(at(dr, t), load<f32>(at(dr, t)) - g);
  }
}
