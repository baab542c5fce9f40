/**
 * float16 and bfloat16 codecs: decoding of every code against the bit-field formula (float16) and
 * the float32 bit pattern (bfloat16), exact round trips, ties to even, overflow to infinity, and the
 * bfloat16 Float32Array fast path against the generic encoder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeBF16,
  decodeBF16Array,
  decodeF16,
  decodeF16Array,
  encodeBF16,
  encodeBF16Array,
  encodeF16,
  encodeF16Array,
} from '../../src/io/half-float.js';

function f16Oracle(c: number): number {
  const s = c >> 15 ? -1 : 1;
  const e = (c >> 10) & 31;
  const m = c & 1023;
  if (e === 31) return m === 0 ? s * Infinity : NaN;
  return s * (e === 0 ? m * 2 ** -24 : (1024 + m) * 2 ** (e - 25));
}

test('decodeF16 matches the bit fields for all 65536 codes; encodeF16 inverts it', () => {
  for (let c = 0; c < 65536; c++) {
    const want = f16Oracle(c);
    const got = decodeF16(c);
    if (Number.isNaN(want)) {
      assert.ok(Number.isNaN(got));
      assert.equal(encodeF16(got), 0x7e00);
    } else {
      assert.ok(Object.is(got, want), `code ${c}`);
      assert.equal(encodeF16(got), c, `code ${c}`);
    }
  }
});

test('encodeF16 rounds ties to even and overflows to infinity', () => {
  assert.equal(encodeF16(1 + 2 ** -11), 0x3c00, '1 + half ulp ties down to even 1.0');
  assert.equal(encodeF16(1 + 3 * 2 ** -11), 0x3c02, '1 + 1.5 ulp ties up to even');
  assert.equal(encodeF16(1 + 2 ** -11 + 2 ** -30), 0x3c01, 'just above the midpoint rounds up');
  assert.equal(encodeF16(65504), 0x7bff);
  assert.equal(encodeF16(65519.99), 0x7bff);
  assert.equal(encodeF16(65520), 0x7c00, '65520 is the midpoint to 2^16 and rounds to infinity');
  assert.equal(encodeF16(-1e10), 0xfc00);
  assert.equal(encodeF16(2 ** -25), 0x0000, 'half the smallest subnormal ties to zero');
  assert.equal(encodeF16(2 ** -25 * 1.01), 0x0001);
  assert.equal(encodeF16(-0), 0x8000);
});

test('decodeBF16 equals the float32 with those top 16 bits, for all codes; encodeBF16 inverts it', () => {
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  for (let c = 0; c < 65536; c++) {
    u[0] = c << 16;
    const want = f[0]!;
    const got = decodeBF16(c);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(got));
    else {
      assert.ok(Object.is(got, want), `code ${c}`);
      assert.equal(encodeBF16(got), c, `code ${c}`);
    }
  }
});

test('encodeBF16 rounds ties to even and overflows to infinity', () => {
  assert.equal(encodeBF16(1 + 2 ** -8), 0x3f80, 'half ulp above 1 ties to even 1.0');
  assert.equal(encodeBF16(1 + 3 * 2 ** -8), 0x3f82);
  assert.equal(encodeBF16(3.4e38), 0x7f80, 'above the bf16 midpoint near float32 max: infinity');
  assert.equal(encodeBF16(-Infinity), 0xff80);
  assert.equal(encodeBF16(NaN), 0x7fc0);
});

test('bfloat16 Float32Array fast path equals the generic encoder, including ties', () => {
  const xs = new Float32Array(5000);
  const u = new Uint32Array(xs.buffer);
  let seed = 7;
  for (let i = 0; i < xs.length; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    u[i] = (seed * 2) >>> 0;
    if (i % 5 === 0) u[i] = (u[i]! & 0xffff0000) | 0x8000; // exact ties
    if (Number.isNaN(xs[i]!)) u[i] = 0x3f800000;
  }
  const fast = encodeBF16Array(xs);
  const slow = encodeBF16Array(Array.from(xs));
  assert.deepEqual(fast, slow);
  const back = decodeBF16Array(fast);
  for (let i = 0; i < xs.length; i += 97) assert.equal(back[i], decodeBF16(fast[i]!));
});

test('float16 arrays round-trip', () => {
  const xs = [0, 1, -2.5, 0.1, 65504, 1e-7];
  const back = decodeF16Array(encodeF16Array(xs));
  assert.deepEqual(
    [...back],
    xs.map((x) => Math.fround(decodeF16(encodeF16(x)))),
  );
  assert.equal(back[1], 1);
  assert.equal(back[2], -2.5);
});
