// Strided kernels over an N-d shape (binary with broadcasting, where, copy). The host coalesces
// dims and writes the shape and per-operand element strides into the int32 arrays (array 0: shape,
// 1..3: operand strides); each thread takes a contiguous share of the flat output, walks it row by
// row (the last dim) and uses SIMD when a row is contiguous or broadcast (stride 0).
import { argi, argp, arr, at, rng, scratch } from './args';
import { binaryS, binaryV } from './elementwise';

/** Decomposes flat index `s` into the multi-index at idx; returns the number of elements. */
function startIndex(idx: usize, rank: i32, s: i32): void {
  let rem = s;
  for (let d = rank - 1; d >= 0; d--) {
    const n = arr(0, d);
    store<i32>(at(idx, d), rem % n);
    rem /= n;
  }
}

function total(rank: i32): i32 {
  let t = 1;
  for (let d = 0; d < rank; d++) t *= arr(0, d);
  return t;
}

function offset(idx: usize, rank: i32, which: i32): i32 {
  let o = 0;
  for (let d = 0; d < rank; d++) o += load<i32>(at(idx, d)) * arr(which, d);
  return o;
}

/** Moves the multi-index forward by cnt elements of the last dim (cnt ends a row or the range). */
function advance(idx: usize, rank: i32, cnt: i32): void {
  const last = load<i32>(at(idx, rank - 1)) + cnt;
  if (last < arr(0, rank - 1)) { store<i32>(at(idx, rank - 1), last); return; }
  store<i32>(at(idx, rank - 1), 0);
  for (let d = rank - 2; d >= 0; d--) {
    const v = load<i32>(at(idx, d)) + 1;
    if (v < arr(0, d)) { store<i32>(at(idx, d), v); return; }
    store<i32>(at(idx, d), 0);
  }
}

function binaryRow(op: i32, a: usize, sa: i32, b: usize, sb: i32, out: usize, cnt: i32): void {
  let i = 0;
  if (op != 6) {
    if (sa == 1 && sb == 1) for (; i + 4 <= cnt; i += 4) v128.store(at(out, i), binaryV(op, v128.load(at(a, i)), v128.load(at(b, i))));
    else if (sa == 1 && sb == 0) {
      const B = v128.load32_splat(b);
      for (; i + 4 <= cnt; i += 4) v128.store(at(out, i), binaryV(op, v128.load(at(a, i)), B));
    } else if (sa == 0 && sb == 1) {
      const A = v128.load32_splat(a);
      for (; i + 4 <= cnt; i += 4) v128.store(at(out, i), binaryV(op, A, v128.load(at(b, i))));
    }
  }
  for (; i < cnt; i++) store<f32>(at(out, i), binaryS(op, load<f32>(at(a, i * sa)), load<f32>(at(b, i * sb))));
}

// args: 0 op, 1 a, 2 b, 3 out, 4 rank; arrays: 0 shape, 1 a strides, 2 b strides
export function binaryJob(tid: i32, nt: i32): void {
  const op = argi(0), a = argp(1), b = argp(2), out = argp(3), rank = argi(4);
  const s = rng(total(rank), tid, nt, 16), e = rng(total(rank), tid + 1, nt, 16);
  if (s >= e) return;
  const idx = scratch(tid), inner = arr(0, rank - 1), sa = arr(1, rank - 1), sb = arr(2, rank - 1);
  startIndex(idx, rank, s);
  for (let pos = s; pos < e;) {
    const cnt = min(inner - load<i32>(at(idx, rank - 1)), e - pos);
    binaryRow(op, at(a, offset(idx, rank, 1)), sa, at(b, offset(idx, rank, 2)), sb, at(out, pos), cnt);
    pos += cnt;
    advance(idx, rank, cnt);
  }
}

// args: 0 cond, 1 a, 2 b, 3 out, 4 rank; arrays: 0 shape, 1 cond strides, 2 a strides, 3 b strides
export function whereJob(tid: i32, nt: i32): void {
  const c = argp(0), a = argp(1), b = argp(2), out = argp(3), rank = argi(4);
  const s = rng(total(rank), tid, nt, 16), e = rng(total(rank), tid + 1, nt, 16);
  if (s >= e) return;
  const idx = scratch(tid), inner = arr(0, rank - 1);
  const sc = arr(1, rank - 1), sa = arr(2, rank - 1), sb = arr(3, rank - 1);
  startIndex(idx, rank, s);
  for (let pos = s; pos < e;) {
    const cnt = min(inner - load<i32>(at(idx, rank - 1)), e - pos);
    const cp = at(c, offset(idx, rank, 1)), ap = at(a, offset(idx, rank, 2)), bp = at(b, offset(idx, rank, 3));
    const op = at(out, pos);
    let i = 0;
    if (sc == 1 && sa == 1 && sb == 1) {
      for (; i + 4 <= cnt; i += 4) {
        const m = f32x4.ne(v128.load(at(cp, i)), f32x4.splat(0));
        v128.store(at(op, i), v128.bitselect(v128.load(at(ap, i)), v128.load(at(bp, i)), m));
      }
    }
    for (; i < cnt; i++) {
      store<f32>(at(op, i), load<f32>(at(cp, i * sc)) != 0 ? load<f32>(at(ap, i * sa)) : load<f32>(at(bp, i * sb)));
    }
    pos += cnt;
    advance(idx, rank, cnt);
  }
}

// args: 0 x, 1 out, 2 rank; arrays: 0 shape, 1 x strides, 2 out strides
export function copyJob(tid: i32, nt: i32): void {
  const x = argp(0), out = argp(1), rank = argi(2);
  const s = rng(total(rank), tid, nt, 16), e = rng(total(rank), tid + 1, nt, 16);
  if (s >= e) return;
  const idx = scratch(tid), inner = arr(0, rank - 1), sx = arr(1, rank - 1), so = arr(2, rank - 1);
  startIndex(idx, rank, s);
  for (let pos = s; pos < e;) {
    const cnt = min(inner - load<i32>(at(idx, rank - 1)), e - pos);
    const xp = at(x, offset(idx, rank, 1)), op = at(out, offset(idx, rank, 2));
    if (sx == 1 && so == 1) memory.copy(op, xp, <usize>cnt << 2);
    else for (let i = 0; i < cnt; i++) store<u32>(at(op, i * so), load<u32>(at(xp, i * sx)));
    pos += cnt;
    advance(idx, rank, cnt);
  }
}
