/**
 * Every folder under test/fixtures/reference/deepseek-v3/ (DeepSeek's official code in float64) against
 * this model on every backend: logits, prefill + one-token decode logits on the absorbed cache,
 * loss, every gradient and the routing sets, within the README's tolerances.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { checkReference } from '../../src/models/deepseek-v3/check-reference.js';
import { Engine } from '../../src/tensor/index.js';
import { forEachBackend } from '../helpers/backends.js';
import { REFERENCE_ROOT, REPO_ROOT } from '../helpers/fixtures.js';

const REPO = REPO_ROOT;
const ROOT = REFERENCE_ROOT;
const CASES = readdirSync(ROOT)
  .filter((d) => statSync(join(ROOT, d)).isDirectory())
  .sort();

it('finds reference cases', () => {
  assert.ok(CASES.length > 0, `no reference folders under ${ROOT}`);
});

forEachBackend((_name, engine) => {
  for (const dir of CASES) {
    it(`matches DeepSeek's official code on ${dir}`, async (t) => {
      const report = await checkReference(engine(), join(ROOT, dir));
      const grads = report.items.filter((i) => i.name.startsWith('grad.'));
      const worstGrad = Math.max(...grads.map((i) => i.diff / Math.max(i.tolerance / 1e-3, 1e-30)));
      for (const i of report.items)
        if (!i.name.startsWith('grad.'))
          t.diagnostic(`${i.name}: max abs diff ${i.diff.toExponential(2)} (tol ${i.tolerance.toExponential(1)})`);
      t.diagnostic(
        `${grads.length} gradients: worst max-abs diff / ref max-abs = ${worstGrad.toExponential(2)} (tol 1e-3)`,
      );
      const failed = report.items.filter((i) => !i.pass);
      assert.deepEqual(failed, [], `items beyond tolerance: ${failed.map((i) => `${i.name} ${i.diff}`).join(', ')}`);
      assert.ok(
        report.items.some((i) => i.name === 'decode_logits'),
        'decode logits were compared',
      );
      assert.ok(grads.length > 0, 'gradients were compared');
    });
  }
});

it('check-reference fails (and the CLI exits 1) when an item is beyond tolerance', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dsv3-ref-'));
  try {
    const src = join(ROOT, CASES[0]!);
    await copyFile(join(src, 'config.json'), join(dir, 'config.json'));
    await copyFile(join(src, 'model.safetensors'), join(dir, 'model.safetensors'));
    const ref = await readSafetensors(join(src, 'reference.safetensors'));
    const logits = ref.tensors.get('logits')!;
    const bumped = Float64Array.from(logits.data as Float64Array);
    bumped[5]! += 1e-3;
    const tensors = new Map(ref.tensors);
    tensors.set('logits', { ...logits, data: bumped });
    await writeSafetensors(join(dir, 'reference.safetensors'), tensors, ref.metadata);
    const report = await checkReference(new Engine(createReferenceBackend()), dir);
    assert.equal(report.pass, false);
    assert.deepEqual(
      report.items.filter((i) => !i.pass).map((i) => i.name),
      ['logits'],
    );
    const cli = spawnSync(
      process.execPath,
      [join(REPO, 'dist', 'src', 'cli', 'main.js'), 'check-reference', dir, '--backend', 'reference'],
      { encoding: 'utf8' },
    );
    assert.equal(cli.status, 1, cli.stderr);
    assert.match(cli.stdout, /FAIL {2}logits +max abs diff 1\.0\d*e-3/);
    assert.match(cli.stdout, /FAIL: \d+ of \d+ items within tolerance/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
