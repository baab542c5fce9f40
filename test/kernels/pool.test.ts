// Thread pool behaviour: a trapping kernel raises on the main thread and leaves the pool usable,
// and worker threads never keep the process alive (with or without dispose()).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { UnaryOp } from '../../src/kernels/backend.js';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';

test('an out-of-bounds kernel call throws and the pool keeps working', async () => {
  const be = await createWasmBackend({ threads: 2, minParallel: 1 });
  try {
    const bad = 0xfff00000; // far past the mapped memory
    assert.throws(() => be.unary(UnaryOp.EXP, bad, bad, 1 << 16), /out of bounds/);
    const x = be.heapBase,
      n = 1000;
    be.f32().fill(0.5, x >>> 2, (x >>> 2) + n);
    be.unary(UnaryOp.EXP, x, x + 4096, n);
    const out = be.f32().subarray((x + 4096) >>> 2, ((x + 4096) >>> 2) + n);
    for (const v of out) assert.ok(Math.abs(v - Math.exp(0.5)) < 1e-6, `exp(0.5) gave ${v}`);
  } finally {
    be.dispose();
  }
});

test('workers do not keep the process alive', () => {
  const entry = new URL('../../src/kernels/wasm/index.js', import.meta.url).href;
  for (const dispose of [true, false]) {
    const script = `const { createWasmBackend } = await import(${JSON.stringify(entry)});
      const be = await createWasmBackend({ threads: 2, minParallel: 1 });
      be.fill(be.heapBase, 1000, 1);
      ${dispose ? 'be.dispose();' : ''}
      console.log('done');`;
    const file = join(mkdtempSync(join(tmpdir(), 'pool-test-')), 'child.mjs');
    writeFileSync(file, script);
    const r = spawnSync(process.execPath, [file], { timeout: 20000, encoding: 'utf8' });
    rmSync(dirname(file), { recursive: true, force: true });
    assert.equal(r.error, undefined, `child ${dispose ? 'with' : 'without'} dispose did not exit: ${String(r.error)}`);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /done/);
  }
});
