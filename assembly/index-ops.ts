// Index kernels: index-select / index-add along an axis and gather / scatter-add with a full index
// tensor, over contiguous [outer, len, inner] views. Adds are split so that each output element is
// written by one thread in a fixed order (deterministic, race-free). Out-of-range indices are
// skipped (selects write 0): the tensor layer validates indices before calling.
import { argi, argp, at, rng } from './args';

// args: 0 x, 1 idx, 2 out, 3 outer, 4 lenIn, 5 nIdx, 6 inner
export function indexSelectJob(tid: i32, nt: i32): void {
  const x = argp(0), idx = argp(1), out = argp(2), outer = argi(3), lenIn = argi(4), nIdx = argi(5), inner = argi(6);
  const bytes = <usize>inner << 2;
  const s = rng(outer * nIdx, tid, nt, 1), e = rng(outer * nIdx, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const o = r / nIdx, j = r % nIdx, ix = load<i32>(at(idx, j)), dst = at(out, r * inner);
    if (ix >= 0 && ix < lenIn) memory.copy(dst, at(x, (o * lenIn + ix) * inner), bytes);
    else memory.fill(dst, 0, bytes);
  }
}

// args: 0 src, 1 idx, 2 out, 3 outer, 4 lenOut, 5 nIdx, 6 inner
export function indexAddJob(tid: i32, nt: i32): void {
  const src = argp(0), idx = argp(1), out = argp(2), outer = argi(3), lenOut = argi(4), nIdx = argi(5), inner = argi(6);
  let o0 = 0, o1 = outer, i0 = 0, i1 = inner;
  if (outer >= nt) { o0 = rng(outer, tid, nt, 1); o1 = rng(outer, tid + 1, nt, 1); }
  else { i0 = rng(inner, tid, nt, 4); i1 = rng(inner, tid + 1, nt, 4); }
  for (let o = o0; o < o1; o++) {
    for (let j = 0; j < nIdx; j++) {
      const ix = load<i32>(at(idx, j));
      if (ix < 0 || ix >= lenOut) continue;
      const sr = at(src, (o * nIdx + j) * inner), dr = at(out, (o * lenOut + ix) * inner);
      let i = i0;
      for (; i + 4 <= i1; i += 4) v128.store(at(dr, i), f32x4.add(v128.load(at(dr, i)), v128.load(at(sr, i))));
      for (; i < i1; i++) store<f32>(at(dr, i), load<f32>(at(dr, i)) + load<f32>(at(sr, i)));
    }
  }
}

// args: 0 x, 1 idx, 2 out, 3 outer, 4 lenIn, 5 lenIdx, 6 inner
export function gatherJob(tid: i32, nt: i32): void {
  const x = argp(0), idx = argp(1), out = argp(2), outer = argi(3), lenIn = argi(4), lenIdx = argi(5), inner = argi(6);
  const total = outer * lenIdx * inner;
  const s = rng(total, tid, nt, 16), e = rng(total, tid + 1, nt, 16);
  for (let f = s; f < e; f++) {
    const i = f % inner, o = f / (lenIdx * inner), ix = load<i32>(at(idx, f));
    store<u32>(at(out, f), ix >= 0 && ix < lenIn ? load<u32>(at(x, (o * lenIn + ix) * inner + i)) : 0);
  }
}

// args: 0 src, 1 idx, 2 out, 3 outer, 4 lenOut, 5 lenIdx, 6 inner; threads own (outer, inner) columns
export function scatterAddJob(tid: i32, nt: i32): void {
  const src = argp(0), idx = argp(1), out = argp(2), outer = argi(3), lenOut = argi(4), lenIdx = argi(5), inner = argi(6);
  const s = rng(outer * inner, tid, nt, 1), e = rng(outer * inner, tid + 1, nt, 1);
  for (let c = s; c < e; c++) {
    const o = c / inner, i = c % inner;
    for (let j = 0; j < lenIdx; j++) {
      const f = (o * lenIdx + j) * inner + i, ix = load<i32>(at(idx, f));
      if (ix < 0 || ix >= lenOut) continue;
      const d = at(out, (o * lenOut + ix) * inner + i);
      store<f32>(d, load<f32>(d) + load<f32>(at(src, f)));
    }
  }
}
