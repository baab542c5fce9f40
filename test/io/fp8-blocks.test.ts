/** Block-FP8 (DeepSeek-V3 weight_scale_inv layout): hand-computed dequantisation, round-trip error bounds, partial blocks. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dequantizeFp8Blocks, quantizeFp8Blocks, scaleShape } from '../../src/io/fp8-blocks.js';

test('dequantisation multiplies each code by its block scale (hand example)', () => {
  // Codes 0x38 = 1.0, 0x40 = 2.0, 0xb8 = -1.0; 2x3 weight in 1x2 blocks -> scales [2 x 2].
  const w = dequantizeFp8Blocks({
    weight: new Uint8Array([0x38, 0x40, 0xb8, 0x40, 0x38, 0x38]),
    scaleInv: new Float32Array([0.5, 3, 10, 0.25]),
    shape: [2, 3],
    block: [1, 2],
  });
  assert.deepEqual([...w], [0.5, 1, -3, 20, 10, 0.25]);
  assert.deepEqual(scaleShape([7168, 18432]), [56, 144]);
  assert.deepEqual(scaleShape([576, 7168]), [5, 56]);
});

test('quantise then dequantise stays within E4M3 rounding of each block amax', () => {
  const rows = 200,
    cols = 300;
  let seed = 1;
  const values = Float32Array.from({ length: rows * cols }, (_, k) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * (k % 7 === 0 ? 10 : 1);
  });
  for (let i = 0; i < 128; i++) for (let j = 128; j < 256; j++) values[i * cols + j] = 0; // an all-zero block
  const q = quantizeFp8Blocks(values, [rows, cols]);
  assert.equal(q.scaleInv.length, 2 * 3);
  assert.equal(q.scaleInv[1], 0);
  const back = dequantizeFp8Blocks(q);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const s = q.scaleInv[Math.floor(i / 128) * 3 + Math.floor(j / 128)]!;
      const x = values[i * cols + j]!;
      const err = Math.abs(back[i * cols + j]! - x);
      // Half an ulp of E4M3 (2^-4 relative for normals), or half the subnormal step 2^-10 in scaled units.
      assert.ok(
        err <= Math.max(Math.abs(x) * 2 ** -4, s * 2 ** -10) * (1 + 1e-6),
        `(${i}, ${j}): ${x} -> ${back[i * cols + j]}`,
      );
    }
  }
  assert.throws(
    () => quantizeFp8Blocks(new Float32Array(5), [2, 3]),
    /shape \[2, 3\] has 6 elements but the data has 5/,
  );
  assert.throws(
    () => dequantizeFp8Blocks({ ...q, scaleInv: new Float32Array(5) }),
    /expected 2 x 3 = 6 block scales, got 5/,
  );
});
