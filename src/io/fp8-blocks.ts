/**
 * DeepSeek-V3's FP8 weight layout (README_WEIGHTS.md, "FP8 Weight Documentation"; V3 paper 3.3):
 * a [rows, cols] weight is stored as E4M3 bytes plus a float32 `weight_scale_inv` of shape
 * [ceil(rows/128), ceil(cols/128)], one scale per 128x128 block (edge blocks are partial, which is
 * the same as zero-padding them). Dequantisation is `weight * scale` blockwise; quantisation uses
 * scale = amax(|block|) / 448 so the block's largest magnitude maps to E4M3's largest value.
 */
import { decodeE4M3, E4M3_MAX, encodeE4M3 } from './fp8-e4m3.js';

/** A block-quantised FP8 weight: E4M3 codes and one float32 scale per block. */
export interface Fp8BlockWeight {
  readonly weight: Uint8Array;
  /** Row-major [ceil(rows/br), ceil(cols/bc)] scales (DeepSeek's `weight_scale_inv`). */
  readonly scaleInv: Float32Array;
  readonly shape: readonly [number, number];
  readonly block: readonly [number, number];
}

/** Shape of the scale tensor for a [rows, cols] weight and [br, bc] blocks. */
export function scaleShape(
  shape: readonly [number, number],
  block: readonly [number, number] = [128, 128],
): [number, number] {
  return [Math.ceil(shape[0] / block[0]), Math.ceil(shape[1] / block[1])];
}

function checkSizes(
  what: string,
  shape: readonly [number, number],
  block: readonly [number, number],
  n: number,
  scales?: number,
): void {
  const [r, c] = shape;
  if (!(Number.isSafeInteger(r) && Number.isSafeInteger(c) && r >= 0 && c >= 0))
    throw new Error(`${what}: shape is [${shape.join(', ')}]; expected two non-negative integers`);
  if (!(Number.isSafeInteger(block[0]) && Number.isSafeInteger(block[1]) && block[0] > 0 && block[1] > 0)) {
    throw new Error(`${what}: block is [${block.join(', ')}]; expected two positive integers`);
  }
  if (n !== r * c) throw new Error(`${what}: shape [${r}, ${c}] has ${r * c} elements but the data has ${n}`);
  const [sr, sc] = scaleShape(shape, block);
  if (scales !== undefined && scales !== sr * sc)
    throw new Error(`${what}: expected ${sr} x ${sc} = ${sr * sc} block scales, got ${scales}`);
}

/** Dequantises a block-FP8 weight to float32: w[i, j] = e4m3(code[i, j]) * scaleInv[i / br, j / bc]. */
export function dequantizeFp8Blocks(w: Fp8BlockWeight): Float32Array {
  checkSizes('dequantizeFp8Blocks', w.shape, w.block, w.weight.length, w.scaleInv.length);
  const [rows, cols] = w.shape;
  const [br, bc] = w.block;
  const sc = Math.ceil(cols / bc);
  const table = new Float64Array(256);
  for (let b = 0; b < 256; b++) table[b] = decodeE4M3(b);
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const srow = Math.floor(i / br) * sc;
    for (let j = 0; j < cols; j++)
      out[i * cols + j] = table[w.weight[i * cols + j]!]! * w.scaleInv[srow + Math.floor(j / bc)]!;
  }
  return out;
}

/** Quantises a [rows, cols] weight to block FP8 with scale = amax / 448 per block (0 for an all-zero block). */
export function quantizeFp8Blocks(
  values: ArrayLike<number>,
  shape: readonly [number, number],
  block: readonly [number, number] = [128, 128],
): Fp8BlockWeight {
  checkSizes('quantizeFp8Blocks', shape, block, values.length);
  const [rows, cols] = shape;
  const [br, bc] = block;
  const [sr, sc] = scaleShape(shape, block);
  const scaleInv = new Float32Array(sr * sc);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const s = Math.floor(i / br) * sc + Math.floor(j / bc);
      scaleInv[s] = Math.max(scaleInv[s]!, Math.abs(values[i * cols + j]!));
    }
  }
  for (let s = 0; s < scaleInv.length; s++) scaleInv[s] = scaleInv[s]! / E4M3_MAX;
  const weight = new Uint8Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const scale = scaleInv[Math.floor(i / br) * sc + Math.floor(j / bc)]!;
      weight[i * cols + j] = scale === 0 ? 0 : encodeE4M3(values[i * cols + j]! / scale);
    }
  }
  return { weight, scaleInv, shape: [rows, cols], block: [br, bc] };
}
