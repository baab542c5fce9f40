/**
 * safetensors read/write: round trips of every dtype through memory and disk, header layout
 * (8-byte aligned, tensors aligned to their item size), metadata, subsets, files written by the
 * Python library (test/fixtures/reference), conversions to float32, and atomic writes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_V3_DIR } from '../helpers/fixtures.js';
import { type Dtype, fromNumbers, numel } from '../../src/io/dtypes.js';
import { assertSameTensors, sampleTensors } from './st-fixtures.js';
import {
  parseSafetensors,
  readSafetensors,
  readSafetensorsHeader,
  serializeSafetensors,
  type StoredTensor,
  tensorToFloat32,
  writeSafetensors,
} from '../../src/io/safetensors.js';
import { writeFileAtomic } from '../../src/io/atomic-write.js';

const REF = TINY_V3_DIR;

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'st-test-'));
}

test('every dtype round-trips through memory with metadata', () => {
  const tensors = sampleTensors();
  const bytes = serializeSafetensors(tensors, { format: 'pt', note: 'héllo' });
  const back = parseSafetensors(bytes, 'mem');
  assertSameTensors(back.tensors, tensors);
  assert.deepEqual(back.metadata, { format: 'pt', note: 'héllo' });
});

test('the header is padded to 8 bytes and every tensor starts aligned to its item size', () => {
  const bytes = serializeSafetensors(sampleTensors(), { format: 'pt' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; data_offsets: number[] }
  >;
  const size: Record<string, number> = { F64: 8, I64: 8, F32: 4, I32: 4, F16: 2, BF16: 2, I16: 2 };
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    assert.equal((8 + n + e.data_offsets[0]!) % (size[e.dtype] ?? 1), 0, name);
  }
});

test('every dtype round-trips through a file; subsets load only what is asked', async () => {
  const dir = await tempDir();
  const path = join(dir, 'a.safetensors');
  const tensors = sampleTensors();
  await writeSafetensors(path, tensors, { format: 'pt' });
  const back = await readSafetensors(path);
  assertSameTensors(back.tensors, tensors);
  assert.deepEqual(back.metadata, { format: 'pt' });
  const some = await readSafetensors(path, { names: ['t.bf16', 't.i64'] });
  assert.deepEqual([...some.tensors.keys()], ['t.bf16', 't.i64']);
  await assert.rejects(readSafetensors(path, { names: ['nope'] }), /no tensor named "nope"/);
  const header = await readSafetensorsHeader(path);
  assert.equal(header.entries.length, tensors.size);
});

test('reads the files the Python library wrote in test/fixtures/reference', async () => {
  const model = await readSafetensors(join(REF, 'model.safetensors'));
  assert.deepEqual(model.metadata, { format: 'pt' });
  const q = model.tensors.get('model.layers.0.self_attn.q_b_proj.weight')!;
  assert.equal(q.dtype, 'F32');
  assert.deepEqual(q.shape, [96, 32]);
  assert.ok(q.data instanceof Float32Array && q.data.every(Number.isFinite));
  const ref = await readSafetensors(join(REF, 'reference.safetensors'));
  const tokens = ref.tensors.get('tokens')!;
  assert.equal(tokens.dtype, 'I32');
  assert.deepEqual(tokens.shape, [2, 24]);
  assert.ok((tokens.data as Int32Array).every((t) => t >= 0 && t < 256));
  assert.equal(ref.tensors.get('loss')!.dtype, 'F64');
  // Re-serialising what was read gives back the same tensors.
  assertSameTensors(parseSafetensors(serializeSafetensors(ref.tensors)).tensors, ref.tensors);
});

test('tensorToFloat32 decodes 16-bit and FP8 storage exactly', () => {
  const values = [1, -2.5, 0.375, 448];
  for (const dt of ['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'I32', 'I64'] as Dtype[]) {
    const t: StoredTensor = {
      dtype: dt,
      shape: [4],
      data: fromNumbers(dt, dt.startsWith('I') ? [1, -2, 3, 448] : values),
    };
    const want = dt.startsWith('I') ? [1, -2, 3, 448] : values;
    assert.deepEqual([...tensorToFloat32(t)], want, dt);
  }
  assert.throws(() => fromNumbers('I32', [1.5]), /element 0 is 1.5; expected an integer/);
});

test('writing rejects bad tensors with the tensor named', async () => {
  const bad = (t: StoredTensor): Map<string, StoredTensor> => new Map([['w', t]]);
  assert.throws(
    () => serializeSafetensors(bad({ dtype: 'F32', shape: [2, 2], data: new Float32Array(3) })),
    /"w": shape \[2, 2\] has 4 elements but data has 3/,
  );
  assert.throws(
    () => serializeSafetensors(bad({ dtype: 'BF16', shape: [2], data: new Float32Array(2) })),
    /"w": dtype BF16 needs a Uint16Array, got Float32Array/,
  );
  assert.throws(
    () => serializeSafetensors(bad({ dtype: 'F32', shape: [-1], data: new Float32Array(0) })),
    /shape is \[-1\]/,
  );
  assert.throws(
    () => serializeSafetensors(new Map([['__metadata__', { dtype: 'F32', shape: [1], data: new Float32Array(1) }]])),
    /reserved/,
  );
});

test('a failed write leaves the old file in place and no temporary file behind', async () => {
  const dir = await tempDir();
  const path = join(dir, 'model.safetensors');
  const original = sampleTensors();
  await writeSafetensors(path, original);
  const before = await readFile(path);

  function* failing(): Generator<Uint8Array> {
    yield new Uint8Array(1000).fill(1);
    throw new Error('disk on fire');
  }
  await assert.rejects(writeFileAtomic(path, failing()), /disk on fire/);
  assert.deepEqual(await readFile(path), before);
  assert.deepEqual(await readdir(dir), ['model.safetensors']);

  await assert.rejects(
    writeSafetensors(path, new Map([['w', { dtype: 'F32', shape: [3], data: new Float32Array(2) }]])),
  );
  assertSameTensors((await readSafetensors(path)).tensors, original);

  await writeFile(join(dir, 'other'), 'x');
  await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
  assert.deepEqual([...(await readFile(path))], [1, 2, 3]);
  assert.deepEqual((await readdir(dir)).sort(), ['model.safetensors', 'other']);
});

test('numel of shapes', () => {
  assert.equal(numel([]), 1);
  assert.equal(numel([3, 0]), 0);
  assert.equal(numel([2, 3, 4]), 24);
});
