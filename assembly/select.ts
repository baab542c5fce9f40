// Top-k per row and cumulative sums. Top-k keeps the row's best k in the output buffers by
// insertion (k is small in MoE routing and sampling), ordered by value descending with NaN first
// (as the largest) and ties to the lower index, like the reference sort. Cumulative sums
// accumulate in float64 as the reference does. Rows (or columns) are split across threads.
import { argi, argp, at, rng, scratch } from './args';
import { ATTN_SCRATCH_OFFSET } from './attention';

// @ts-ignore: decorator
@inline function key(v: f32): f32 { return isNaN(v) ? Infinity : v; }

// args: 0 x, 1 values, 2 indices, 3 rows, 4 cols, 5 k
export function topkJob(tid: i32, nt: i32): void {
  const x = argp(0), vals = argp(1), idxs = argp(2), rows = argi(3), cols = argi(4), k = argi(5);
  const s = rng(rows, tid, nt, 1), e = rng(rows, tid + 1, nt, 1);
  for (let r = s; r < e; r++) {
    const xr = at(x, r * cols), vr = at(vals, r * k), ir = at(idxs, r * k);
    let count = 0;
    for (let j = 0; j < cols; j++) {
      const v = load<f32>(at(xr, j)), kv = key(v);
      if (count == k && !(kv > key(load<f32>(at(vr, k - 1))))) continue;
      // shift smaller keys down one place (dropping the last when full), insert after equal keys
      let pos = count < k ? count : k - 1;
      while (pos > 0 && key(load<f32>(at(vr, pos - 1))) < kv) {
        store<f32>(at(vr, pos), load<f32>(at(vr, pos - 1)));
        store<i32>(at(ir, pos), load<i32>(at(ir, pos - 1)));
        pos--;
      }
      store<f32>(at(vr, pos), v);
      store<i32>(at(ir, pos), j);
      if (count < k) count++;
    }
  }
}

// args: 0 x, 1 out, 2 outer, 3 len, 4 inner, 5 reverse
export function cumsumJob(tid: i32, nt: i32): void {
  const x = argp(0), out = argp(1), outer = argi(2), len = argi(3), inner = argi(4), rev = argi(5) != 0;
  let o0 = 0, o1 = outer, i0 = 0, i1 = inner;
  if (outer >= nt) { o0 = rng(outer, tid, nt, 1); o1 = rng(outer, tid + 1, nt, 1); }
  else { i0 = rng(inner, tid, nt, 4); i1 = rng(inner, tid + 1, nt, 4); }
  const acc = scratch(tid) + ATTN_SCRATCH_OFFSET;
  for (let o = o0; o < o1; o++) {
    for (let i = i0; i < i1; i++) store<f64>(acc + (<usize>(i - i0) << 3), 0);
    for (let t = 0; t < len; t++) {
      const row = (o * len + (rev ? len - 1 - t : t)) * inner;
      for (let i = i0; i < i1; i++) {
        const ap = acc + (<usize>(i - i0) << 3);
        const v = load<f64>(ap) + <f64>load<f32>(at(x, row + i));
        store<f64>(ap, v);
        store<f32>(at(out, row + i), <f32>v);
      }
    }
  }
}
