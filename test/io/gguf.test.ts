/**
 * GGUF v3 writer and reader: the exact byte layout of a small file (checked by hand against
 * ggml docs/gguf.md), round trips of every metadata type and tensor type, Q8_0 against
 * hand-computed blocks, alignment, and clear errors for truncated or corrupt files.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gguf, type GgufValue } from '../../src/io/gguf-format.js';
import { encodeGgufData, quantizeQ8_0 } from '../../src/io/gguf-encode.js';
import { ggufTensorToFloat32, layoutGguf, parseGguf, type GgufTensor } from '../../src/io/gguf.js';

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let p = 0;
  for (const c of chunks) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

function f32Tensor(name: string, shape: number[], values: number[]): GgufTensor {
  return { name, type: 'F32', shape, data: encodeGgufData('F32', Float32Array.from(values)) };
}

describe('GGUF byte layout', () => {
  it('writes header, metadata, tensor info (dims innermost-first), padding and data as gguf.md says', () => {
    const bytes = concat(layoutGguf(new Map([['a', gguf.u32(7)]]), [f32Tensor('w', [2, 3], [1, 2, 3, 4, 5, 6])]));
    const v = new DataView(bytes.buffer);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'GGUF');
    assert.equal(v.getUint32(4, true), 3); // version
    assert.equal(v.getBigUint64(8, true), 1n); // tensors
    assert.equal(v.getBigUint64(16, true), 1n); // metadata entries
    assert.equal(v.getBigUint64(24, true), 1n); // key length
    assert.equal(String.fromCharCode(bytes[32]!), 'a');
    assert.equal(v.getUint32(33, true), 4); // u32
    assert.equal(v.getUint32(37, true), 7);
    assert.equal(v.getBigUint64(41, true), 1n); // name length
    assert.equal(String.fromCharCode(bytes[49]!), 'w');
    assert.equal(v.getUint32(50, true), 2); // rank
    assert.equal(v.getBigUint64(54, true), 3n); // ne[0] = innermost (columns)
    assert.equal(v.getBigUint64(62, true), 2n); // ne[1] = rows
    assert.equal(v.getUint32(70, true), 0); // F32
    assert.equal(v.getBigUint64(74, true), 0n); // offset
    // header ends at 82, data starts at the next multiple of 32: 96; 24 bytes of data padded to 32
    assert.equal(bytes.length, 96 + 32);
    assert.deepEqual(Array.from(new Float32Array(bytes.buffer.slice(96, 120))), [1, 2, 3, 4, 5, 6]);
  });
});

describe('GGUF round trip', () => {
  const metadata = new Map<string, GgufValue>([
    ['general.architecture', gguf.str('deepseek2')],
    ['u8', { type: 'u8', value: 200 }],
    ['i8', { type: 'i8', value: -5 }],
    ['u16', { type: 'u16', value: 60000 }],
    ['i16', { type: 'i16', value: -30000 }],
    ['u32', gguf.u32(4_000_000_000)],
    ['i32', gguf.i32(-7)],
    ['f32', gguf.f32(0.5)],
    ['f64', { type: 'f64', value: Math.PI }],
    ['u64', gguf.u64(2n ** 40n)],
    ['i64', { type: 'i64', value: -(2n ** 40n) }],
    ['bool', gguf.bool(true)],
    ['utf8', gguf.str('<｜User｜> 中文')],
    ['tokens', gguf.arr('string', ['a', 'Ġb', ''])],
    ['types', gguf.arr('i32', [1, 3, -1])],
  ]);

  it('reads back every metadata type and F32/F16/BF16/Q8_0 tensors', () => {
    const values = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    const tensors: GgufTensor[] = (['F32', 'F16', 'BF16', 'Q8_0'] as const).map((type) => ({
      name: `t.${type}`,
      type,
      shape: [2, 32],
      data: encodeGgufData(type, values),
    }));
    tensors.push(f32Tensor('scalar-ish', [3], [1, -2, 3]));
    const back = parseGguf(concat(layoutGguf(metadata, tensors)));
    assert.equal(back.version, 3);
    assert.deepEqual(
      [...back.metadata.entries()],
      [...metadata.entries()].map(([k, v]) => [k, v.type === 'f32' ? v : v]),
    );
    assert.deepEqual(
      [...back.tensors.keys()],
      tensors.map((t) => t.name),
    );
    assert.deepEqual(ggufTensorToFloat32(back.tensors.get('t.F32')!), values);
    for (const [type, tol] of [
      ['F16', 2e-3],
      ['BF16', 2e-2],
      ['Q8_0', 3 / 127 / 2 + 1e-3],
    ] as const) {
      const t = back.tensors.get(`t.${type}`)!;
      assert.deepEqual(t.shape, [2, 32]);
      const got = ggufTensorToFloat32(t);
      for (let i = 0; i < 64; i++)
        assert.ok(Math.abs(got[i]! - values[i]!) <= tol, `${type}[${i}]: ${got[i]} vs ${values[i]}`);
    }
  });

  it('honours general.alignment for the data start and every tensor offset', () => {
    const m = new Map([['general.alignment', gguf.u32(64)]]);
    const bytes = concat(layoutGguf(m, [f32Tensor('a', [3], [1, 2, 3]), f32Tensor('b', [1], [9])]));
    const back = parseGguf(bytes);
    assert.equal(back.alignment, 64);
    assert.deepEqual(Array.from(ggufTensorToFloat32(back.tensors.get('b')!)), [9]);
    assert.equal(bytes.length % 64, 0);
    assert.throws(() => layoutGguf(new Map([['general.alignment', gguf.u32(48)]]), []), /power of two/);
  });

  it('refuses mistyped metadata, duplicate tensors and data of the wrong size', () => {
    assert.throws(() => layoutGguf(new Map([['k', gguf.u32(1.5)]]), []), /metadata "k" holds 1.5; expected a u32/);
    assert.throws(() => layoutGguf(new Map(), [f32Tensor('x', [1], [1]), f32Tensor('x', [1], [2])]), /appears twice/);
    assert.throws(
      () => layoutGguf(new Map(), [{ name: 'x', type: 'F32', shape: [2], data: new Uint8Array(4) }]),
      /needs 8 bytes, got 4/,
    );
    assert.throws(
      () => layoutGguf(new Map(), [{ name: 'q', type: 'Q8_0', shape: [2, 20], data: new Uint8Array(0) }]),
      /multiple of 32/,
    );
  });
});

describe('Q8_0', () => {
  it('quantises as ggml: d = amax/127 in f16, q = round(x/d) with ties away from zero', () => {
    const x = new Float32Array(32);
    x[0] = 127;
    x[1] = -63.5;
    x[2] = 0.49;
    x[3] = 1.5;
    x[31] = -127;
    const b = quantizeQ8_0(x);
    const v = new DataView(b.buffer);
    assert.equal(v.getUint16(0, true), 0x3c00); // d = 1.0 in f16
    assert.deepEqual([v.getInt8(2), v.getInt8(3), v.getInt8(4), v.getInt8(5), v.getInt8(33)], [127, -64, 0, 2, -127]);
    const zeros = quantizeQ8_0(new Float32Array(32));
    assert.ok(zeros.every((byte) => byte === 0));
  });
});

describe('GGUF errors', () => {
  const good = concat(
    layoutGguf(
      new Map<string, GgufValue>([
        ['general.name', gguf.str('m')],
        ['tokens', gguf.arr('string', ['x', 'y'])],
      ]),
      [
        f32Tensor(
          'w',
          [4, 8],
          Array.from({ length: 32 }, (_, i) => i),
        ),
      ],
    ),
  );

  it('reports a truncated file at every cut point with what it was reading', () => {
    for (let cut = 0; cut < good.length; cut += 7) {
      if (cut >= 96 + 128) break; // data of w ends at 96 + 128
      assert.throws(
        () => parseGguf(good.subarray(0, cut), 'm.gguf'),
        (err: Error) => {
          assert.match(err.message, /^m\.gguf: /);
          assert.match(err.message, /truncated|not a GGUF file|starts with/);
          return true;
        },
        `cut at ${cut}`,
      );
    }
  });

  it('names a bad magic, version, value type and tensor type', () => {
    const bad = (at: number, value: number): Uint8Array => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(at, value, true);
      return b;
    };
    assert.throws(() => parseGguf(bad(0, 0x12345678), 'x'), /expected the GGUF magic/);
    assert.throws(() => parseGguf(bad(4, 9), 'x'), /GGUF version 9; expected 2 or 3/);
    assert.throws(() => parseGguf(bad(24 + 8 + 12, 99), 'x'), /value type 99/);
    const layout = concat(layoutGguf(new Map(), [f32Tensor('w', [1], [1])]));
    const v = new DataView(layout.buffer);
    v.setUint32(24 + 8 + 1 + 4 + 8, 3, true); // header 24, name len 8 + 'w', rank 4, ne[0] 8: ggml type 3 = Q4_1, not handled
    assert.throws(
      () => parseGguf(layout, 'x'),
      /tensor "w" has ggml type 3, a quantization this reader does not handle; supported: F32 \(0\), F16 \(1\), Q4_0 \(2\)/,
    );
  });
});
