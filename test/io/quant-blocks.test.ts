/**
 * llama.cpp's block formats: each dequantizer against a block whose bytes and values were worked
 * out by hand from the layouts in src/io/quant-blocks.ts (ggml-common.h), the Q4_0 quantizer
 * against ggml's rule on a known block, and every quantizer's round trip within its format's
 * error bound.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GGML_BLOCKS, storableType } from '../../src/io/gguf-format.js';
import { dequantize, quantizeQ4_0, quantizer } from '../../src/io/quant-blocks.js';

describe('block dequantizers on hand-made blocks', () => {
  it('Q8_0: x = d * q', () => {
    const b = new Uint8Array(34);
    new DataView(b.buffer).setUint16(0, 0x3400, true); // d = 0.25
    b[2] = 0x80; // q[0] = -128
    b[7] = 7; // q[5] = 7
    const x = dequantize('Q8_0', b, 32);
    assert.equal(x[0], -32);
    assert.equal(x[5], 1.75);
    assert.equal(x[1], 0);
  });

  it('Q4_0: low nibbles are elements 0..15, high nibbles 16..31, x = d * (q - 8)', () => {
    const b = new Uint8Array(18).fill(0x88);
    new DataView(b.buffer).setUint16(0, 0x3800, true); // d = 0.5
    b[2] = 0x9f; // element 0: 15, element 16: 9
    b[17] = 0x0f; // element 15: 15, element 31: 0
    const x = dequantize('Q4_0', b, 32);
    assert.deepEqual([x[0], x[16], x[15], x[31], x[1]], [3.5, 0.5, 3.5, -4, 0]);
  });

  it('Q4_K: 6-bit scales and mins, x = d * sc * q - dmin * m', () => {
    const b = new Uint8Array(144);
    const v = new DataView(b.buffer);
    v.setUint16(0, 0x3c00, true); // d = 1
    v.setUint16(2, 0x3800, true); // dmin = 0.5
    // sub-block 0: sc 2, m 3; sub-block 5: sc 33 (0b10_0001), m 20 (0b01_0100)
    b[4 + 0] = 2; // sc0
    b[4 + 4] = 3; // m0
    b[4 + 1] = 2 << 6; // top bits of sc5 ride on scales[1]
    b[4 + 5] = 1 << 6; // top bits of m5 ride on scales[5]
    b[4 + 9] = 1 | (4 << 4); // low nibbles of sc5 and m5
    b[16 + 0] = 7; // element 0 (chunk 0, low nibble): q = 7
    b[16 + 64 + 3] = 0xa0; // element 163 (chunk 2, high nibble = sub-block 5, l = 3): q = 10
    const x = dequantize('Q4_K', b, 256);
    assert.equal(x[0], 1 * 2 * 7 - 0.5 * 3); // 12.5
    assert.equal(x[1], -1.5);
    assert.equal(x[163], 33 * 10 - 0.5 * 20); // 320
    assert.equal(x[160], -10);
    assert.equal(x[40], 0); // sub-block 1: sc = m = 0
  });

  it('Q6_K: 4 low bits in ql, 2 high bits in qh, int8 scale per 16, x = d * sc * (q - 32)', () => {
    const b = new Uint8Array(210);
    const v = new DataView(b.buffer);
    v.setUint16(208, 0x3800, true); // d = 0.5
    v.setInt8(192 + 0, 2);
    v.setInt8(192 + 6, 1);
    v.setInt8(192 + 9, -3);
    b[0] = 0x05; // element 0 low bits 5
    b[128 + 0] = 0b10; // element 0 high bits 2: q = 37
    b[36] = 0xf0; // element 100 (h 0, g 3, l 4): high nibble of ql[4 + 32]
    b[128 + 4] = 0xc0; // element 100 high bits 3 (bits 6..7 of qh[4]): q = 63
    const x = dequantize('Q6_K', b, 256);
    assert.equal(x[0], 0.5 * 2 * 5);
    assert.equal(x[1], 0.5 * 2 * -32);
    assert.equal(x[100], 0.5 * 1 * 31);
    assert.equal(x[150], 0.5 * -3 * -32); // h 1, scale 9, q = 0
    assert.equal(Math.abs(x[40]!), 0); // scale 2 = 0 (the product is -0)
  });

  it('refuses a byte buffer too short for the elements', () => {
    assert.throws(() => dequantize('Q4_K', new Uint8Array(143), 256), /256 Q4_K values need 144 bytes, got 143/);
    assert.throws(() => dequantize('Q8_0', new Uint8Array(34), 20), /needs a multiple of 32/);
  });
});

describe('quantizers', () => {
  it('Q4_0 follows ggml: d = signed max / -8, q = min(15, trunc(x / d + 8.5))', () => {
    const x = Float32Array.from({ length: 32 }, (_, j) => j * 0.25 - 4); // -4 .. 3.75
    const b = quantizeQ4_0(x);
    assert.equal(new DataView(b.buffer).getUint16(0, true), 0x3800); // the max magnitude is -4: d = -4 / -8 = 0.5
    // x[0] = -4 -> trunc(-8 + 8.5) = 0; x[16] = 0 -> trunc(8.5) = 8; x[31] = 3.75 -> trunc(16) -> 15
    assert.equal(b[2]! & 15, 0);
    assert.equal(b[2]! >> 4, 8);
    assert.equal(b[17]! >> 4, 15);
    const back = dequantize('Q4_0', b, 32);
    assert.equal(back[0], -4);
    assert.equal(back[16], 0);
    assert.equal(back[31], 3.5);
  });

  // the largest error per format, in units of amax of the block: half a step of the code range, a
  // whole step at the far end of Q4_0's asymmetric [-8, 7], and for the K formats one more step for
  // the 6/8-bit scale codes shared over a super-block; plus the f16 rounding of the scales
  for (const [type, step] of [
    ['Q8_0', 0.5 / 127],
    ['Q4_0', 1 / 8],
    ['Q4_K', 1.5 / 15],
    ['Q6_K', 1.5 / 31],
  ] as const) {
    it(`${type} round trip stays within its format's error bound`, () => {
      const n = 2 * GGML_BLOCKS[type].elems * (type.endsWith('_K') ? 1 : 8);
      const x = Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));
      const back = dequantize(type, quantizer(type)(x), n);
      const block = GGML_BLOCKS[type].elems;
      for (let b = 0; b < n / block; b++) {
        let amax = 0;
        for (let j = 0; j < block; j++) amax = Math.max(amax, Math.abs(x[b * block + j]!));
        const tol = amax * (step + 2 ** -10) + 1e-6;
        for (let j = 0; j < block; j++) {
          const i = b * block + j;
          assert.ok(Math.abs(back[i]! - x[i]!) <= tol, `${type}[${i}]: ${back[i]} vs ${x[i]} (tol ${tol})`);
        }
      }
    });
  }

  it('falls back to Q8_0 or F16 for rows that are not whole blocks', () => {
    assert.equal(storableType('Q4_K', 512), 'Q4_K');
    assert.equal(storableType('Q4_K', 96), 'Q8_0');
    assert.equal(storableType('Q4_0', 20), 'F16');
    assert.equal(storableType('BF16', 3), 'BF16');
  });
});
