/**
 * The tensor heap: blocks never overlap, freed neighbours merge, the top retreats, and a workload
 * whose sizes change every step (a growing decode context) reuses memory instead of growing it.
 * Also: pointers past 2 GiB read and write correctly (element index = ptr >>> 2).
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { Heap } from '../../src/kernels/heap.js';
import { Rng } from '../../src/tensor/index.js';

it('random alloc/free never hands out overlapping blocks and returns to the base when all is freed', () => {
  const heap = new Heap(createReferenceBackend());
  const base = heap.reservedBytes,
    rng = new Rng(11);
  const live = new Map<number, number>();
  for (let step = 0; step < 5000; step++) {
    if (live.size > 0 && rng.uniform() < 0.45) {
      const keys = [...live.keys()],
        p = keys[rng.int(keys.length)]!;
      heap.release(p);
      live.delete(p);
    } else {
      const bytes = 1 + rng.int(20000),
        p = heap.alloc(bytes);
      assert.equal(p % 64, 0);
      for (const [q, n] of live) assert.ok(p + bytes <= q || q + n <= p, `block ${p}+${bytes} overlaps ${q}+${n}`);
      live.set(p, bytes);
    }
  }
  for (const p of live.keys()) heap.release(p);
  assert.equal(heap.liveBytes, 0);
  assert.equal(heap.reservedBytes, base, 'freeing everything lowers the top back to the base');
  assert.throws(() => heap.release(base), /not a live block/);
});

it('a growing context reuses freed memory instead of growing the heap', () => {
  const heap = new Heap(createReferenceBackend());
  const keep = heap.alloc(1000); // something long-lived below the temporaries
  let reservedAfterFirst = 0;
  for (let len = 100; len < 600; len++) {
    const temps = [len * 512, len * 128, len * len * 4, len * 512].map((b) => heap.alloc(b));
    heap.release(temps[1]!); // out-of-order frees leave holes that must merge
    heap.release(temps[3]!);
    heap.release(temps[0]!);
    heap.release(temps[2]!);
    if (len === 100) reservedAfterFirst = heap.reservedBytes;
  }
  assert.ok(
    heap.reservedBytes <= reservedAfterFirst,
    `reserved grew from ${reservedAfterFirst} to ${heap.reservedBytes}`,
  );
  heap.release(keep);
});

it('tensors beyond 2 GiB are addressed correctly', async () => {
  const { Engine, add } = await import('../../src/tensor/index.js');
  const e = new Engine(createReferenceBackend());
  const filler = e.empty([(2 ** 31 + 4096) / 4]); // pushes the next block past 2^31
  const a = e.tensor([1, 2, 3], [3]),
    b = e.tensor([10, 20, 30], [3], 'f32');
  assert.ok(a.ptr >= 2 ** 31, `a.ptr ${a.ptr}`);
  assert.deepEqual(Array.from(add(a, b).toArray()), [11, 22, 33]);
  const ids = e.tensor([7, -1], [2], 'i32');
  assert.deepEqual(Array.from(ids.toArray()), [7, -1]);
  for (const t of [filler, a, b, ids]) t.dispose();
});

it('no source file turns a pointer into an index with the signed >> 2', async () => {
  const { readdirSync, readFileSync, statSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../../src/', import.meta.url));
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = `${dir}/${name}`;
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) {
        readFileSync(p, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, '');
            if (/[^>]>> 2\b/.test(code)) offenders.push(`${p.slice(root.length)}:${i + 1}`);
          });
      }
    }
  };
  walk(root.replace(/\/$/, ''));
  assert.deepEqual(offenders, [], 'pointers past 2 GiB need >>> 2');
});
