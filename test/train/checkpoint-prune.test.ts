/**
 * Checkpoint pruning survives a crash mid-delete (issue 17, defect 8): a pruned checkpoint is
 * renamed to a `.trash-` name before it is deleted, so a kill -9 during the delete never leaves a
 * half-deleted `checkpoint-N` ("model.safetensors is missing"); the startup cleanup removes
 * `.tmp-`/`.trash-` leftovers, puts back a checkpoint whose replacement was interrupted, and says so.
 * The crash is simulated by making `rm` delete one file and then throw.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanCheckpointLeftovers, pruneCheckpoints } from '../../src/train/checkpoint.js';

function fakeCheckpoint(dir: string, name: string): void {
  mkdirSync(join(dir, name));
  for (const f of ['model.safetensors', 'optimizer.safetensors', 'trainer_state.json', 'config.json'])
    writeFileSync(join(dir, name, f), f);
}

/** Runs `body` while fs/promises.rm deletes one file of its target and then fails, as a kill would. */
async function withCrashingRm(body: () => Promise<void>): Promise<void> {
  const real = fs.rm;
  (fs as { rm: typeof fs.rm }).rm = async (path) => {
    const p = String(path);
    const files = existsSync(p) ? readdirSync(p).sort() : [];
    if (files.includes('model.safetensors')) unlinkSync(join(p, 'model.safetensors'));
    throw new Error('killed mid-delete');
  };
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    (fs as { rm: typeof fs.rm }).rm = real;
    syncBuiltinESMExports();
  }
}

test('a crash while pruning never leaves a half-deleted checkpoint-N; startup cleans the trash and says so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-prune-'));
  try {
    for (const n of ['checkpoint-00000010', 'checkpoint-00000020', 'checkpoint-00000030']) fakeCheckpoint(dir, n);
    writeFileSync(join(dir, 'latest'), 'checkpoint-00000030\n');
    await withCrashingRm(async () => {
      await assert.rejects(pruneCheckpoints(dir, 1), /killed mid-delete/);
    });
    for (const e of readdirSync(dir).filter((x) => /^checkpoint-\d+$/.test(x)))
      assert.ok(existsSync(join(dir, e, 'model.safetensors')), `${e} was left half-deleted`);
    assert.ok(existsSync(join(dir, 'checkpoint-00000030', 'model.safetensors')));
    assert.ok(readdirSync(dir).some((e) => e.startsWith('.trash-')));

    mkdirSync(join(dir, '.tmp-checkpoint-00000040-123-abcd'));
    const said = await cleanCheckpointLeftovers(dir);
    assert.equal(said.length, 2, said.join('\n'));
    assert.ok(said.every((l) => /removed .*(\.trash-|\.tmp-)/.test(l)));
    assert.deepEqual(
      readdirSync(dir).filter((e) => e.startsWith('.')),
      [],
    );
    assert.deepEqual(await cleanCheckpointLeftovers(dir), [], 'nothing left to say');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint whose same-step replacement was interrupted is put back at startup', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-prune-'));
  try {
    fakeCheckpoint(dir, '.old-checkpoint-00000010-beef');
    writeFileSync(join(dir, 'latest'), 'checkpoint-00000010\n');
    const said = await cleanCheckpointLeftovers(dir);
    assert.ok(existsSync(join(dir, 'checkpoint-00000010', 'model.safetensors')));
    assert.match(said.join('\n'), /restored checkpoint-00000010/);
    // while the new copy is in place, the old one is only a leftover
    fakeCheckpoint(dir, '.old-checkpoint-00000010-f00d');
    assert.match((await cleanCheckpointLeftovers(dir)).join('\n'), /removed \.old-checkpoint-00000010-f00d/);
    assert.ok(existsSync(join(dir, 'checkpoint-00000010', 'model.safetensors')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
