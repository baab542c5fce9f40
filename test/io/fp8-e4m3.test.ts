/**
 * FP8 E4M3 (OCP "e4m3fn") codec against an independent oracle: the 256-code table computed here
 * from the bit fields, and a brute-force nearest-value search for rounding (ties to the even code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeE4M3, decodeE4M3Array, encodeE4M3, encodeE4M3Array } from '../../src/io/fp8-e4m3.js';

/** value of code c from its fields: s.eeee.mmm, bias 7, e=0 subnormal, s.1111.111 NaN. */
function oracle(c: number): number {
  const s = c >> 7;
  const e = (c >> 3) & 15;
  const m = c & 7;
  if (e === 15 && m === 7) return NaN;
  const mag = e === 0 ? m * 2 ** -9 : (8 + m) * 2 ** (e - 10);
  return s ? -mag : mag;
}

const FINITE_CODES = Array.from({ length: 256 }, (_, c) => c).filter((c) => !Number.isNaN(oracle(c)));

/** Brute force: the finite code nearest to x, ties to the code with an even mantissa; saturating. */
function nearestCode(x: number): number {
  const signBit = x < 0 || Object.is(x, -0) ? 0x80 : 0;
  let best = -1;
  let bestDist = Infinity;
  for (const c of FINITE_CODES) {
    if ((c & 0x80) !== signBit) continue;
    const d = Math.abs(x - oracle(c));
    if (d < bestDist || (d === bestDist && (c & 1) === 0)) {
      best = c;
      bestDist = d;
    }
  }
  return best;
}

test('decodeE4M3 matches the bit-field table for all 256 codes', () => {
  for (let c = 0; c < 256; c++) {
    const want = oracle(c);
    const got = decodeE4M3(c);
    if (Number.isNaN(want)) assert.ok(Number.isNaN(got), `code ${c}`);
    else assert.ok(Object.is(got, want), `code 0x${c.toString(16)}: got ${got}, want ${want}`);
  }
  assert.equal(decodeE4M3(0x7e), 448);
  assert.equal(decodeE4M3(0xfe), -448);
  assert.equal(decodeE4M3(0x01), 2 ** -9);
  assert.equal(decodeE4M3(0x08), 2 ** -6);
  assert.ok(Number.isNaN(decodeE4M3(0x7f)) && Number.isNaN(decodeE4M3(0xff)));
});

test('encodeE4M3 round-trips every finite code', () => {
  for (const c of FINITE_CODES) assert.equal(encodeE4M3(oracle(c)), c, `code 0x${c.toString(16)}`);
});

test('encodeE4M3 rounds exact midpoints to the even code', () => {
  const positives = FINITE_CODES.filter((c) => c < 0x80).sort((a, b) => oracle(a) - oracle(b));
  for (let i = 0; i + 1 < positives.length; i++) {
    const lo = positives[i]!;
    const hi = positives[i + 1]!;
    const mid = (oracle(lo) + oracle(hi)) / 2;
    const even = (lo & 1) === 0 ? lo : hi;
    assert.equal(encodeE4M3(mid), even, `midpoint ${mid} between 0x${lo.toString(16)} and 0x${hi.toString(16)}`);
    assert.equal(encodeE4M3(-mid), even | 0x80, `midpoint ${-mid}`);
    const eps = (oracle(hi) - oracle(lo)) * 1e-6;
    assert.equal(encodeE4M3(mid - eps), lo);
    assert.equal(encodeE4M3(mid + eps), hi);
  }
  assert.equal(encodeE4M3(2 ** -10), 0x00, 'half the smallest subnormal ties to +0');
  assert.equal(encodeE4M3(-(2 ** -10)), 0x80, 'and to -0 on the negative side');
  assert.equal(encodeE4M3(3 * 2 ** -10), 0x02, '1.5 x min subnormal ties to the even code 2');
});

test('encodeE4M3 saturates to +-448 and maps NaN to 0x7f', () => {
  for (const x of [448, 449, 463.99, 464, 465, 480, 1e6, Infinity]) assert.equal(encodeE4M3(x), 0x7e, `x=${x}`);
  for (const x of [-448, -464, -1e30, -Infinity]) assert.equal(encodeE4M3(x), 0xfe, `x=${x}`);
  assert.equal(encodeE4M3(NaN), 0x7f);
  assert.equal(encodeE4M3(0), 0x00);
  assert.equal(encodeE4M3(-0), 0x80);
});

test('encodeE4M3 agrees with a brute-force nearest search on random values', () => {
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 3000; i++) {
    const mag = 2 ** (rand() * 21.5 - 12); // 2^-12 .. 2^9.5, across subnormals, normals and saturation
    const x = rand() < 0.5 ? -mag : mag;
    assert.equal(encodeE4M3(x), nearestCode(x), `x=${x}`);
  }
});

test('array codecs agree with the scalar ones', () => {
  const xs = [0, 1, -1.75, 0.3, 500, -(2 ** -9), 17.5, NaN];
  const bytes = encodeE4M3Array(xs);
  assert.deepEqual([...bytes], xs.map(encodeE4M3));
  const back = decodeE4M3Array(bytes);
  for (let i = 0; i < xs.length; i++) {
    const want = decodeE4M3(bytes[i]!);
    assert.ok(Number.isNaN(want) ? Number.isNaN(back[i]!) : back[i] === want);
  }
});
