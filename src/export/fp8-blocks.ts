/**
 * FP8 block quantisation of weight matrices as DeepSeek publishes its checkpoints
 * (DeepSeek-V3 README_WEIGHTS.md; V3 paper 3.3): a 2-D weight [rows, cols] is stored as E4M3
 * bytes with one float32 `weight_scale_inv` per 128x128 block, shape
 * [ceil(rows/128), ceil(cols/128)], and dequantises as `w = e4m3 * weight_scale_inv` (DeepSeek's
 * `weight_dequant`). Quantising picks weight_scale_inv = amax(block) / 448 so the block's largest
 * magnitude maps to E4M3's largest finite value; an all-zero block gets scale 1.
 */
import { decodeE4M3, E4M3_MAX, encodeE4M3 } from '../io/fp8-e4m3.js';

/** A block-quantised matrix. */
export interface Fp8Block {
  /** E4M3 bytes, row-major [rows, cols]. */
  readonly weight: Uint8Array;
  /** float32 [ceil(rows/br), ceil(cols/bc)]: the dequantisation multiplier of each block. */
  readonly scaleInv: Float32Array;
  readonly scaleShape: readonly [number, number];
}

/** The shape of weight_scale_inv for a [rows, cols] weight with blocks [br, bc]. */
export function scaleShapeOf(rows: number, cols: number, block: readonly [number, number]): [number, number] {
  return [Math.ceil(rows / block[0]), Math.ceil(cols / block[1])];
}

/** Quantises a row-major [rows, cols] float matrix into E4M3 with per-block float32 scales. */
export function quantizeFp8Blocks(values: Float32Array, rows: number, cols: number, block: readonly [number, number] = [128, 128]): Fp8Block {
  if (values.length !== rows * cols) throw new Error(`quantizeFp8Blocks: ${values.length} values for a [${rows}, ${cols}] matrix; expected ${rows * cols}`);
  const [br, bc] = block;
  const [sr, sc] = scaleShapeOf(rows, cols, block);
  const weight = new Uint8Array(rows * cols);
  const scaleInv = new Float32Array(sr * sc);
  for (let bi = 0; bi < sr; bi++) {
    for (let bj = 0; bj < sc; bj++) {
      const r1 = Math.min(rows, (bi + 1) * br), c1 = Math.min(cols, (bj + 1) * bc);
      let amax = 0;
      for (let r = bi * br; r < r1; r++) for (let c = bj * bc; c < c1; c++) amax = Math.max(amax, Math.abs(values[r * cols + c]!));
      if (!Number.isFinite(amax)) throw new Error(`quantizeFp8Blocks: block [${bi}, ${bj}] holds a non-finite value; FP8 needs finite weights`);
      const s = amax > 0 ? Math.fround(amax / E4M3_MAX) : 1;
      scaleInv[bi * sc + bj] = s;
      for (let r = bi * br; r < r1; r++) for (let c = bj * bc; c < c1; c++) weight[r * cols + c] = encodeE4M3(values[r * cols + c]! / s);
    }
  }
  return { weight, scaleInv, scaleShape: [sr, sc] };
}

/** Dequantises E4M3 bytes [rows, cols] with block scales back to float32. */
export function dequantizeFp8Blocks(weight: Uint8Array, scaleInv: Float32Array, rows: number, cols: number, block: readonly [number, number] = [128, 128], name = 'weight'): Float32Array {
  const [sr, sc] = scaleShapeOf(rows, cols, block);
  if (weight.length !== rows * cols) throw new Error(`${name}: ${weight.length} FP8 values; expected ${rows} x ${cols}`);
  if (scaleInv.length !== sr * sc) throw new Error(`${name}: weight_scale_inv has ${scaleInv.length} values; expected [${sr}, ${sc}] for blocks of [${block.join(', ')}]`);
  const table = new Float32Array(256);
  for (let b = 0; b < 256; b++) table[b] = decodeE4M3(b);
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const srow = Math.floor(r / block[0]) * sc;
    for (let c = 0; c < cols; c++) out[r * cols + c] = table[weight[r * cols + c]!]! * scaleInv[srow + Math.floor(c / block[1])]!;
  }
  return out;
}
