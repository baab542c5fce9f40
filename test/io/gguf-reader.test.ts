/**
 * The streaming GGUF reader: header and tensor infos from a file without reading the data, a header
 * larger than the first read, tensors read whole and by rows into caller-owned buffers, and clear
 * errors for a truncated file, an unknown quant type and a missing tensor.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gguf, type GgufValue } from '../../src/io/gguf-format.js';
import { encodeGgufData } from '../../src/io/gguf-encode.js';
import { writeGguf, type GgufTensor } from '../../src/io/gguf.js';
import { GgufFile } from '../../src/io/gguf-reader.js';
import { dequantize } from '../../src/io/quant-blocks.js';

const dir = mkdtempSync(join(tmpdir(), 'gguf-reader-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const values = Float32Array.from({ length: 4 * 256 }, (_, i) => Math.cos(i * 0.1));
const tensors: GgufTensor[] = [
  { name: 'a.q4k', type: 'Q4_K', shape: [4, 256], data: encodeGgufData('Q4_K', values) },
  { name: 'b.f32', type: 'F32', shape: [3], data: encodeGgufData('F32', Float32Array.of(1, 2, 3)) },
  { name: 'c.q6k', type: 'Q6_K', shape: [2, 512], data: encodeGgufData('Q6_K', values) },
];

describe('GgufFile', () => {
  it('opens the header, reads tensors whole and by rows', async () => {
    const path = join(dir, 'm.gguf');
    await writeGguf(path, new Map([['general.architecture', gguf.str('qwen2')]]), tensors);
    const f = await GgufFile.open(path);
    try {
      assert.equal(f.version, 3);
      assert.equal(f.metadata.get('general.architecture')!.value, 'qwen2');
      assert.deepEqual([...f.tensors.keys()], ['a.q4k', 'b.f32', 'c.q6k']);
      assert.deepEqual(f.info('c.q6k').shape, [2, 512]);
      assert.equal(f.info('a.q4k').bytes, 4 * 144);
      assert.deepEqual(Array.from(new Float32Array((await f.read('b.f32')).buffer)), [1, 2, 3]);
      const rows = new Uint8Array(2 * 144);
      await f.readInto('a.q4k', rows, 1, 3);
      assert.deepEqual(rows, tensors[0]!.data.subarray(144, 3 * 144));
      assert.deepEqual(dequantize('Q6_K', await f.read('c.q6k'), 1024), dequantize('Q6_K', tensors[2]!.data, 1024));
      await assert.rejects(f.readInto('a.q4k', new Uint8Array(10)), /rows 0\.\.4 are 576 bytes; the target holds 10/);
      await assert.rejects(f.read('nope'), /no tensor "nope"/);
    } finally {
      await f.close();
    }
  });

  it('grows its first read until a header larger than 1 MiB fits', async () => {
    const path = join(dir, 'big.gguf');
    const tokens = Array.from({ length: 120_000 }, (_, i) => `token-${i}`);
    const meta = new Map<string, GgufValue>([['tokenizer.ggml.tokens', gguf.arr('string', tokens)]]);
    await writeGguf(path, meta, tensors.slice(1, 2));
    const f = await GgufFile.open(path);
    try {
      assert.ok(f.dataStart > 1 << 21, `header of ${f.dataStart} bytes`);
      const got = f.metadata.get('tokenizer.ggml.tokens')!.value as string[];
      assert.equal(got.length, 120_000);
      assert.equal(got[119_999], 'token-119999');
    } finally {
      await f.close();
    }
  });

  it('names the tensor of a truncated file and the unknown type of a tensor', async () => {
    const path = join(dir, 'cut.gguf');
    await writeGguf(path, new Map(), tensors);
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 300));
    await assert.rejects(
      GgufFile.open(path),
      /tensor "c\.q6k" \(Q6_K \[2, 512\]\) needs bytes .* the GGUF file is truncated/,
    );
    writeFileSync(path, bytes.subarray(0, 40));
    await assert.rejects(
      GgufFile.open(path),
      /file ends at byte 40 while reading the rank of tensor "a\.q4k" .*truncated/,
    );
    const bad = Buffer.from(bytes);
    // header 24; tensor 0: name (8 + 5), rank 4, 2 dims of 8: the type code follows
    bad.writeUInt32LE(13, 24 + 13 + 4 + 16); // 13 = Q5_K
    writeFileSync(path, bad);
    await assert.rejects(
      GgufFile.open(path),
      /tensor "a\.q4k" has ggml type 13, a quantization this reader does not handle/,
    );
  });
});
