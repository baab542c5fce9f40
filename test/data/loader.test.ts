/**
 * Token shards and the packing loader: round trip through files, same seed same batches, resume
 * mid-epoch continues identically, document boundaries are marked, corrupt shards name the file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShardWriter, readShards } from '../../src/data/shards.js';
import { PackedLoader } from '../../src/data/loader.js';
import { Rng } from '../../src/tasks/rng.js';

function makeShards(vocab = 1000): { dir: string; docs: number[][] } {
  const dir = mkdtempSync(join(tmpdir(), 'shards-'));
  const rng = new Rng(42);
  const docs: number[][] = [];
  const w = new ShardWriter(dir, vocab, 300);
  for (let d = 0; d < 40; d++) {
    const doc = Array.from({ length: rng.int(1, 60) }, () => rng.int(0, vocab - 2));
    doc.push(vocab - 1);
    docs.push(doc);
    w.addDocument(doc);
  }
  w.finish();
  return { dir, docs };
}

test('shards round-trip documents exactly (uint16 and uint32)', () => {
  for (const vocab of [1000, 100_000]) {
    const { dir, docs } = makeShards(vocab);
    try {
      const { index, shards } = readShards(dir);
      assert.equal(index.dtype, vocab <= 65536 ? 'uint16' : 'uint32');
      assert.ok(shards.length > 1, 'several shards expected');
      const back: number[][] = [];
      for (const s of shards)
        s.docStarts.forEach((st, i) =>
          back.push(Array.from(s.tokens.subarray(st, s.docStarts[i + 1] ?? s.tokens.length))),
        );
      assert.deepEqual(back, docs);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('loader: same seed same batches, other seed other order, every token once per epoch', () => {
  const { dir, docs } = makeShards();
  try {
    const opts = { seqLen: 16, batchSize: 3, seed: 7 };
    const a = new PackedLoader(dir, opts),
      b = new PackedLoader(dir, opts),
      c = new PackedLoader(dir, { ...opts, seed: 8 });
    const total = docs.reduce((s, d) => s + d.length, 0);
    const stream: number[] = [];
    for (let i = 0; i < 5; i++) {
      const x = a.next(),
        y = b.next();
      assert.deepEqual(x, y);
      stream.push(...x.tokens);
    }
    assert.notDeepEqual(a.next().tokens, c.next().tokens);
    // One epoch read from a fresh loader holds exactly the documents' tokens (a permutation of docs).
    const fresh = new PackedLoader(dir, { ...opts, batchSize: 1, seqLen: total });
    const epoch = Array.from(fresh.next().tokens);
    assert.deepEqual(
      [...epoch].sort((p, q) => p - q),
      docs.flat().sort((p, q) => p - q),
    );
    assert.deepEqual(fresh.state(), { epoch: 1, doc: 0, offset: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loader: positions and segments restart at document boundaries', () => {
  const { dir, docs } = makeShards();
  try {
    const l = new PackedLoader(dir, { seqLen: 64, batchSize: 4, seed: 1 });
    const eos = 999;
    const bt = l.next();
    for (let i = 1; i < bt.tokens.length; i++) {
      if (i % 64 === 0) {
        assert.equal(bt.positions[i], 0);
        assert.equal(bt.segments[i], 0);
        continue;
      }
      if (bt.tokens[i - 1] === eos) {
        assert.equal(bt.positions[i], 0, `position after EOS at ${i}`);
        assert.equal(bt.segments[i], bt.segments[i - 1]! + 1);
      } else {
        assert.equal(bt.positions[i], bt.positions[i - 1]! + 1);
      }
    }
    assert.ok(docs.length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('loader: resuming from a saved state mid-epoch gives the same continuation', () => {
  const { dir } = makeShards();
  try {
    const opts = { seqLen: 10, batchSize: 2, seed: 3 };
    const full = new PackedLoader(dir, opts);
    for (let i = 0; i < 7; i++) full.next();
    const saved = JSON.parse(JSON.stringify(full.state()));
    assert.ok(saved.offset > 0 || saved.doc > 0);
    const resumed = new PackedLoader(dir, opts, saved);
    for (let i = 0; i < 60; i++) assert.deepEqual(resumed.next(), full.next(), `batch ${i} after resume`);
    assert.throws(() => new PackedLoader(dir, opts, { epoch: 0, doc: 10_000, offset: 0 }), /does not fit/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupt or missing shards are clear errors naming the file', () => {
  const { dir } = makeShards();
  try {
    const bin = join(dir, 'shard-00001.bin');
    const orig = readFileSync(bin);
    const flipped = Buffer.from(orig);
    flipped[3] = flipped[3]! ^ 0xff;
    writeFileSync(bin, flipped);
    assert.throws(
      () => new PackedLoader(dir, { seqLen: 8, batchSize: 1, seed: 1 }),
      /shard-00001\.bin is corrupt: SHA-256/,
    );
    writeFileSync(bin, orig);
    truncateSync(bin, orig.length - 2);
    assert.throws(() => readShards(dir), /shard-00001\.bin is corrupt: .* bytes/);
    rmSync(bin);
    assert.throws(() => readShards(dir), /shard-00001\.bin: cannot read/);
    assert.throws(() => readShards(join(dir, 'nope')), /nope.*index\.json/);
    assert.throws(() => new ShardWriter(dir, 10).addDocument([10]), /token id 10 at position 0 is outside \[0, 10\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
