/**
 * Corrupt safetensors files: each defect is a clear Error naming the file (and the tensor when
 * there is one), never a crash, a hang or garbage data. Ends with a seeded fuzz of header bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, readSafetensors, serializeSafetensors } from '../../src/io/safetensors.js';
import { sampleTensors } from './st-fixtures.js';

/** Builds a file from a header object (JSON-encoded as is) and a data section. */
function rawFile(header: unknown, data: Uint8Array, headerText?: string): Uint8Array {
  const json = new TextEncoder().encode(headerText ?? JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const TWO = {
  a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
  b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] },
};

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(
    () => parseSafetensors(bytes, 'bad.safetensors'),
    (err: unknown) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^bad\.safetensors: /);
      assert.match(err.message, pattern);
      return true;
    },
  );
}

test('a well-formed hand-built file parses (control case)', () => {
  const t = parseSafetensors(rawFile(TWO, new Uint8Array(12)), 'ok');
  assert.deepEqual([...t.tensors.keys()], ['a', 'b']);
});

test('header length problems', () => {
  expectError(new Uint8Array(5), /file is 5 bytes/);
  const huge = rawFile(TWO, new Uint8Array(12));
  new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
  expectError(huge, /header length is 9223372036854775808 bytes; expected at most/);
  const long = rawFile(TWO, new Uint8Array(12));
  new DataView(long.buffer).setBigUint64(0, BigInt(long.length), true);
  expectError(long, /header length is \d+ bytes but only \d+ bytes follow it/);
});

test('bad JSON, non-object header, bad UTF-8, bad metadata', () => {
  expectError(rawFile(null, new Uint8Array(0), '{"a": {"dtype": "F32",'), /header is not valid JSON/);
  expectError(rawFile([1, 2], new Uint8Array(0)), /header is \[1,2\]; expected a JSON object/);
  const bytes = rawFile(null, new Uint8Array(0), '{"\u00e9": 1}');
  bytes[10] = 0xff;
  expectError(bytes, /not valid UTF-8/);
  expectError(
    rawFile({ __metadata__: { format: 3 } }, new Uint8Array(0)),
    /__metadata__\["format"\] is 3; expected a string/,
  );
});

test('bad entries name the tensor', () => {
  expectError(
    rawFile({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "w": dtype is "F33"; expected one of/,
  );
  expectError(
    rawFile({ w: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "w": shape is \[1.5\]/,
  );
  expectError(
    rawFile({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4)),
    /tensor "w": shape \[2\] of F32 needs 8 bytes but data_offsets \[0, 4\] span 4/,
  );
  expectError(
    rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [4] } }, new Uint8Array(4)),
    /tensor "w": data_offsets is \[4\]; expected \[begin, end\]/,
  );
  expectError(
    rawFile({ w: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(4)),
    /tensor "w": data_offsets holds -4/,
  );
  expectError(
    rawFile({ w: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)),
    /end before they begin/,
  );
  expectError(rawFile({ w: 'x' }, new Uint8Array(4)), /tensor "w": header entry is "x"/);
});

test('overlapping, gapped, out-of-range and trailing data', () => {
  const overlap = { a: TWO.a, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
  expectError(rawFile(overlap, new Uint8Array(8)), /tensor "b" bytes \[4, 8\) overlap tensor "a" bytes \[0, 8\)/);
  const gap = { a: TWO.a, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } };
  expectError(
    rawFile(gap, new Uint8Array(16)),
    /tensor "b" starts at byte 12, leaving a gap of 4 bytes after tensor "a"/,
  );
  const late = { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } };
  expectError(rawFile(late, new Uint8Array(8)), /leaving a gap of 4 bytes at the start/);
  expectError(
    rawFile(TWO, new Uint8Array(10)),
    /tensor "b" ends at byte 12 of the data section but the file holds only 10 data bytes/,
  );
  expectError(rawFile(TWO, new Uint8Array(16)), /tensors cover 12 bytes but the data section holds 16/);
  const far = { a: { dtype: 'U8', shape: [1], data_offsets: [2 ** 52, 2 ** 52 + 1] } };
  expectError(rawFile(far, new Uint8Array(1)), /tensor "a"/);
});

test('a truncated file on disk is reported with the tensor that runs past the end', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'st-corrupt-'));
  const full = serializeSafetensors(sampleTensors(), { format: 'pt' });
  const path = join(dir, 'cut.safetensors');
  await writeFile(path, full.subarray(0, full.length - 3));
  await assert.rejects(readSafetensors(path), (err: Error) => {
    assert.match(
      err.message,
      new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: tensor "[^"]+" ends at byte \\d+ .*truncated`),
    );
    return true;
  });
  await writeFile(path, full.subarray(0, 20));
  await assert.rejects(readSafetensors(path), /header length is \d+ bytes but only 12 bytes follow it/);
  await assert.rejects(readSafetensors(join(dir, 'missing.safetensors')), /ENOENT/);
});

test('fuzz: flipping header bytes gives a clean Error or a consistent file, never a crash', () => {
  const good = serializeSafetensors(sampleTensors(), { format: 'pt' });
  const n = Number(new DataView(good.buffer).getBigUint64(0, true));
  let seed = 99;
  const rand = (k: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % k;
  };
  let rejected = 0;
  for (let i = 0; i < 400; i++) {
    const bytes = good.slice();
    for (let j = 0, flips = 1 + rand(3); j < flips; j++) bytes[rand(8 + n)] = rand(256);
    try {
      const parsed = parseSafetensors(bytes, 'fuzz');
      for (const t of parsed.tensors.values())
        assert.equal(
          t.data.length,
          t.shape.reduce((a, b) => a * b, 1),
        );
    } catch (err) {
      assert.ok(err instanceof Error && err.message.startsWith('fuzz: '), `unexpected failure: ${String(err)}`);
      rejected++;
    }
  }
  assert.ok(rejected > 100, `only ${rejected} of 400 mutations were rejected`);
});
