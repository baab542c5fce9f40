/**
 * FP8 block quantisation of weight matrices as DeepSeek publishes its checkpoints
 * (DeepSeek-V3 README_WEIGHTS.md; V3 paper 3.3): a 2-D weight [rows, cols] is stored as E4M3
 * bytes with one float32 `weight_scale_inv` per 128x128 block, shape
 * [ceil(rows/128), ceil(cols/128)], and dequantises as `w = e4m3 * weight_scale_inv` (DeepSeek's
 * `weight_dequant`). Quantising picks weight_scale_inv = amax(block) / 448 so the block's largest
 * magnitude maps to E4M3's largest finite value; an all-zero block gets scale 1. The block
 * arithmetic is src/io/fp8-blocks.ts's; this file keeps the exporter's argument shapes and checks.
 */
import { dequantizeFp8Blocks as dequantizeBlocks, quantizeFp8Blocks as quantizeBlocks } from '../io/fp8-blocks.js';

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
export function quantizeFp8Blocks(
  values: Float32Array,
  rows: number,
  cols: number,
  block: readonly [number, number] = [128, 128],
): Fp8Block {
  if (values.length !== rows * cols)
    throw new Error(
      `quantizeFp8Blocks: ${values.length} values for a [${rows}, ${cols}] matrix; expected ${rows * cols}`,
    );
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      const r = Math.floor(i / cols),
        c = i % cols;
      throw new Error(
        `quantizeFp8Blocks: block [${Math.floor(r / block[0])}, ${Math.floor(c / block[1])}] holds a non-finite value; FP8 needs finite weights`,
      );
    }
  }
  const q = quantizeBlocks(values, [rows, cols], block);
  // An all-zero block gets scale 1 in the files written here (its bytes are 0 either way).
  const scaleInv = q.scaleInv.map((v) => (v === 0 ? 1 : v));
  return { weight: q.weight, scaleInv, scaleShape: scaleShapeOf(rows, cols, block) };
}

/** Dequantises E4M3 bytes [rows, cols] with block scales back to float32. */
export function dequantizeFp8Blocks(
  weight: Uint8Array,
  scaleInv: Float32Array,
  rows: number,
  cols: number,
  block: readonly [number, number] = [128, 128],
  name = 'weight',
): Float32Array {
  const [sr, sc] = scaleShapeOf(rows, cols, block);
  if (weight.length !== rows * cols)
    throw new Error(`${name}: ${weight.length} FP8 values; expected ${rows} x ${cols}`);
  if (scaleInv.length !== sr * sc)
    throw new Error(
      `${name}: weight_scale_inv has ${scaleInv.length} values; expected [${sr}, ${sc}] for blocks of [${block.join(', ')}]`,
    );
  return dequantizeBlocks({ weight, scaleInv, shape: [rows, cols], block });
}
