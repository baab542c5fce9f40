/**
 * Checkpoint folders: sharded round trip with model.safetensors.index.json, the single-file case,
 * stale files from an earlier save, header-only listing, and inconsistent indexes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredTensor } from '../../src/io/safetensors.js';
import {
  INDEX_FILE,
  listCheckpointTensors,
  readSafetensorsCheckpoint,
  SINGLE_FILE,
  writeSafetensorsCheckpoint,
} from '../../src/io/safetensors-checkpoint.js';
import { assertSameTensors, sampleTensors } from './st-fixtures.js';

function layers(n: number, floats: number): Map<string, StoredTensor> {
  const m = new Map<string, StoredTensor>();
  for (let i = 0; i < n; i++) {
    m.set(`model.layers.${i}.w`, {
      dtype: 'F32',
      shape: [floats],
      data: Float32Array.from({ length: floats }, (_, j) => i * 1000 + j),
    });
  }
  return m;
}

test('sharded round trip writes shards in order and a transformers-style index', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
  const tensors = layers(5, 100); // 400 bytes each
  const files = await writeSafetensorsCheckpoint(dir, tensors, { maxShardBytes: 1000 });
  assert.deepEqual(files, [
    'model-00001-of-00003.safetensors',
    'model-00002-of-00003.safetensors',
    'model-00003-of-00003.safetensors',
    INDEX_FILE,
  ]);
  const index = JSON.parse(await readFile(join(dir, INDEX_FILE), 'utf8')) as {
    metadata: { total_size: number };
    weight_map: Record<string, string>;
  };
  assert.equal(index.metadata.total_size, 2000);
  assert.equal(index.weight_map['model.layers.0.w'], 'model-00001-of-00003.safetensors');
  assert.equal(index.weight_map['model.layers.1.w'], 'model-00001-of-00003.safetensors');
  assert.equal(index.weight_map['model.layers.4.w'], 'model-00003-of-00003.safetensors');
  for (const p of [dir, join(dir, INDEX_FILE)]) {
    const back = await readSafetensorsCheckpoint(p);
    assertSameTensors(back.tensors, tensors);
    assert.deepEqual(back.metadata, { format: 'pt' });
  }
  const some = await readSafetensorsCheckpoint(dir, { names: ['model.layers.3.w'] });
  assert.deepEqual([...some.tensors.keys()], ['model.layers.3.w']);
  await assert.rejects(readSafetensorsCheckpoint(dir, { names: ['nope'] }), /no tensor named "nope"/);
  const listed = await listCheckpointTensors(dir);
  assert.equal(listed.size, 5);
  assert.deepEqual(listed.get('model.layers.2.w')!.shape, [100]);
  assert.match(listed.get('model.layers.2.w')!.file, /model-00002-of-00003\.safetensors$/);
});

test('a tensor larger than the shard limit gets a shard of its own', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
  const tensors = new Map([
    ...layers(1, 10),
    ['big', { dtype: 'F32', shape: [1000], data: new Float32Array(1000) } as StoredTensor],
    ...layers(3, 10),
  ]);
  const files = await writeSafetensorsCheckpoint(dir, tensors, { maxShardBytes: 100 });
  assert.equal(files.length, 4);
  assertSameTensors((await readSafetensorsCheckpoint(dir)).tensors, tensors);
});

test('one shard is written as model.safetensors, and saves replace stale files of the other layout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
  await writeFile(join(dir, 'config.json'), '{}');
  await writeSafetensorsCheckpoint(dir, layers(4, 100), { maxShardBytes: 800 });
  assert.equal((await readdir(dir)).length, 4);
  const single = sampleTensors();
  assert.deepEqual(await writeSafetensorsCheckpoint(dir, single), [SINGLE_FILE]);
  assert.deepEqual((await readdir(dir)).sort(), ['config.json', SINGLE_FILE]);
  assertSameTensors((await readSafetensorsCheckpoint(dir)).tensors, single);
  await writeSafetensorsCheckpoint(dir, layers(3, 100), { maxShardBytes: 800 });
  assert.deepEqual((await readdir(dir)).sort(), [
    'config.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
    INDEX_FILE,
  ]);
});

test('inconsistent indexes and missing files are clear errors', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ckpt-'));
  await assert.rejects(
    readSafetensorsCheckpoint(dir),
    /holds neither model\.safetensors nor model\.safetensors\.index\.json/,
  );
  await assert.rejects(readSafetensorsCheckpoint(join(dir, 'nothing')), /does not exist/);
  await writeSafetensorsCheckpoint(dir, layers(3, 100), { maxShardBytes: 800 });
  const indexPath = join(dir, INDEX_FILE);
  const index = JSON.parse(await readFile(indexPath, 'utf8')) as { weight_map: Record<string, string> };

  const moved = {
    ...index,
    weight_map: { ...index.weight_map, 'model.layers.0.w': 'model-00002-of-00002.safetensors' },
  };
  await writeFile(indexPath, JSON.stringify(moved));
  await assert.rejects(
    readSafetensorsCheckpoint(dir),
    /tensor "model\.layers\.0\.w" is stored in this shard but is listed under model-00002-of-00002/,
  );

  const extra = { ...index, weight_map: { ...index.weight_map, ghost: 'model-00001-of-00002.safetensors' } };
  await writeFile(indexPath, JSON.stringify(extra));
  await assert.rejects(
    readSafetensorsCheckpoint(dir),
    /the index lists tensor "ghost" in this shard but the shard does not hold it/,
  );

  const escaping = { weight_map: { 'model.layers.0.w': '../evil.safetensors' } };
  await writeFile(indexPath, JSON.stringify(escaping));
  await assert.rejects(
    readSafetensorsCheckpoint(dir),
    /weight_map\["model\.layers\.0\.w"\] is "\.\.\/evil\.safetensors"; expected a file name/,
  );

  await writeFile(indexPath, '{"weight_map": 3}');
  await assert.rejects(readSafetensorsCheckpoint(dir), /"weight_map" is 3; expected an object/);
  await writeFile(indexPath, '{not json');
  await assert.rejects(readSafetensorsCheckpoint(dir), /cannot read the shard index/);
});
