/**
 * Walking an N-d index space with one element offset per operand: the loop behind every strided
 * reference kernel (broadcast binary ops, where, copy). Offsets are in elements.
 */

/** Calls `visit(o0, o1, ...)` for each index of `shape` in row-major order, oK = index . stridesK. */
export function forEachIndex(
  shape: ArrayLike<number>,
  strides: ArrayLike<number>[],
  visit: (...offsets: number[]) => void,
): void {
  const rank = shape.length,
    nOps = strides.length;
  let total = 1;
  for (let d = 0; d < rank; d++) total *= shape[d]!;
  if (total === 0) return;
  const idx = new Array<number>(rank).fill(0);
  const off = new Array<number>(nOps).fill(0);
  for (let n = 0; n < total; n++) {
    visit(...off);
    // Increment the index like an odometer, updating each operand's offset incrementally.
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]!++;
      for (let k = 0; k < nOps; k++) off[k]! += strides[k]![d]!;
      if (idx[d]! < shape[d]!) break;
      for (let k = 0; k < nOps; k++) off[k]! -= strides[k]![d]! * shape[d]!;
      idx[d] = 0;
    }
  }
}
