/**
 * Fine-grained FP8 (E4M3) GEMMs as in DeepSeek-V3's mixed-precision recipe (V3 paper section 3.3).
 *
 * Simulation on an FP32 engine: every operand of a Linear GEMM is quantised to E4M3 with its own
 * scale per tile, then dequantised, and the product runs in FP32 (the paper promotes partial sums to
 * FP32 every 128 elements; accumulating in FP32 throughout is the limit of that). Scales are
 * amax / 448 per 1x128 tile of activations and gradients and per 128x128 block of weights, always
 * tiled along the GEMM's contraction dimension:
 *   Fprop  y  = Q1x128(x) @ Q128x128(W)^T          x [M, K], W [N, K]
 *   Dgrad  dx = Q1x128(dy) @ Q128x128(W)            dy [M, N]
 *   Wgrad  dW = Q1x128(dy^T) @ Q1x128(x^T)^T        tiles along the token dimension M
 * Departure from the paper: no FP8 storage (the values are FP8-exact float32), so memory is not saved;
 * the numerics (what the loss-curve experiment measures) are the paper's.
 */
import { roundMagnitude } from '../io/float-round.js';
import { E4M3, E4M3_MAX } from '../io/fp8-e4m3.js';
import { record } from '../tensor/ops/common.js';
import { contiguous, matmul, reshape, transpose, type Engine, type Tensor } from '../tensor/index.js';

/** The E4M3 value nearest to v (ties to even, saturating at +-448; NaN stays NaN). */
export function roundE4M3(v: number): number {
  if (v !== v) return NaN;
  const r = roundMagnitude(Math.abs(v), E4M3);
  return v < 0 || Object.is(v, -0) ? -r : r;
}

/**
 * Quantise-dequantise a row-major [rows, cols] float32 array in place with one scale per
 * tileRows x tileCols tile: q = roundE4M3(v / s) * s with s = amax(tile) / 448.
 */
export function fakeQuantize(data: Float32Array, rows: number, cols: number, tileRows: number, tileCols: number): void {
  for (let r0 = 0; r0 < rows; r0 += tileRows) {
    const r1 = Math.min(rows, r0 + tileRows);
    for (let c0 = 0; c0 < cols; c0 += tileCols) {
      const c1 = Math.min(cols, c0 + tileCols);
      let amax = 0;
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) amax = Math.max(amax, Math.abs(data[r * cols + c]!));
      if (amax === 0 || !Number.isFinite(amax)) continue;
      const scale = amax / E4M3_MAX;
      for (let r = r0; r < r1; r++)
        for (let c = c0; c < c1; c++) {
          const i = r * cols + c;
          data[i] = roundE4M3(data[i]! / scale) * scale;
        }
    }
  }
}

/** A quantised copy of a 2-D tensor (no grad link). */
function quantized(engine: Engine, t: Tensor, tileRows: number, tileCols: number): Tensor {
  const out = engine.empty(t.shape);
  engine.backend.copy(t.ptr, t.strides, out.ptr, out.strides, t.shape);
  const [rows, cols] = t.shape as [number, number];
  fakeQuantize(
    engine.backend.f32().subarray(out.ptr >>> 2, (out.ptr >>> 2) + out.size),
    rows,
    cols,
    tileRows,
    tileCols,
  );
  return out;
}

/** Tile edge of the recipe (1x128 activations, 128x128 weights). */
export const FP8_TILE = 128;

/**
 * y = x @ W^T with FP8 operands in forward and backward (see the file header).
 * x [..., K], weight [N, K] -> [..., N].
 */
export function fp8Linear(x: Tensor, weight: Tensor): Tensor {
  const e = x.engine,
    K = x.shape[x.rank - 1]!,
    N = weight.shape[0]!;
  if (weight.rank !== 2 || weight.shape[1] !== K) {
    throw new Error(`fp8Linear: x [${x.shape.join(', ')}] does not match weight [${weight.shape.join(', ')}]`);
  }
  const outShape = [...x.shape.slice(0, -1), N];
  const { y, xq, wq } = e.noGrad(() => {
    const x2 = contiguous(reshape(x, [-1, K])); // (M, K)
    const xq = quantized(e, x2, 1, FP8_TILE);
    const wq = quantized(e, weight, FP8_TILE, FP8_TILE);
    return { y: reshape(matmul(xq, transpose(wq)), outShape), xq, wq }; // (M, K) @ (K, N) -> (..., N)
  });
  return record(y, 'fp8Linear', [x, weight], (g) => {
    const g2 = contiguous(reshape(g, [-1, N])); // (M, N)
    const gq = quantized(e, g2, 1, FP8_TILE);
    const dx = reshape(matmul(gq, wq), x.shape); // (M, N) @ (N, K) -> (M, K)
    const gT = quantized(e, contiguous(transpose(g2)), 1, FP8_TILE); // (N, M), tiles along M
    // The paper caches activations in FP8 and re-tiles them 128x1 for Wgrad: requantise xq.
    const xT = quantized(e, contiguous(transpose(xq)), 1, FP8_TILE); // (K, M), tiles along M
    const dw = matmul(gT, transpose(xT)); // (N, M) @ (M, K) -> (N, K)
    return [dx, dw];
  });
}
