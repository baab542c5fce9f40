/**
 * Reference index kernels over float32/int32 views of the backend memory (src/kernels/reference.ts
 * delegates here): row selection and its scatter-add transpose, gather / scatter-add along an axis,
 * top-k per row (NaN first, ties to the lower index) and cumulative sums. Addresses are byte offsets.
 */

export function indexSelectReference(
  _f: Float32Array,
  iv: Int32Array,
  x: number,
  idx: number,
  out: number,
  outer: number,
  lenIn: number,
  nIdx: number,
  inner: number,
): void {
  const v = iv,
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

export function indexAddReference(
  f: Float32Array,
  iv: Int32Array,
  src: number,
  idx: number,
  out: number,
  outer: number,
  lenOut: number,
  nIdx: number,
  inner: number,
): void {
  const S = src >>> 2,
    I = idx >>> 2,
    O = out >>> 2;
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < nIdx; j++) {
      const dst = O + (o * lenOut + iv[I + j]!) * inner,
        s0 = S + (o * nIdx + j) * inner;
      for (let i = 0; i < inner; i++) f[dst + i] = f[dst + i]! + f[s0 + i]!;
    }
}

export function gatherReference(
  _f: Float32Array,
  iv: Int32Array,
  x: number,
  idx: number,
  out: number,
  outer: number,
  lenIn: number,
  lenIdx: number,
  inner: number,
): void {
  const v = iv,
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

export function scatterAddReference(
  f: Float32Array,
  iv: Int32Array,
  src: number,
  idx: number,
  out: number,
  outer: number,
  lenOut: number,
  lenIdx: number,
  inner: number,
): void {
  const S = src >>> 2,
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

export function topkReference(
  f: Float32Array,
  iv: Int32Array,
  x: number,
  values: number,
  indices: number,
  rows: number,
  cols: number,
  k: number,
): void {
  const X = x >>> 2,
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

export function cumsumReference(
  f: Float32Array,
  _iv: Int32Array,
  x: number,
  out: number,
  outer: number,
  len: number,
  inner: number,
  reverse: boolean,
): void {
  const X = x >>> 2,
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
