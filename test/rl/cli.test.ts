/**
 * The GRPO, eval and r1-zero commands as a user meets them: --help shows the TRL-named options and
 * examples; config mistakes fail fast with errors naming the key and what was expected.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

test('grpo, eval and r1-zero --help', () => {
  const g = run('grpo', '--help');
  assert.equal(g.status, 0);
  for (const flag of [
    '--num-generations',
    '--beta',
    '--epsilon-high',
    '--loss-type',
    '--scale-rewards',
    '--num-iterations',
    '--mask-truncated-completions',
    '--sync-ref-model',
    '--reward-weights',
    '--resume',
  ])
    assert.match(g.stdout, new RegExp(flag));
  assert.match(g.stdout, /Examples:/);
  assert.match(run('eval', '--help').stdout, /--k <n>.*\n?.*samples per problem/);
  assert.match(run('r1-zero', '--help').stdout, /--base <path>/);
});

test('config errors name the key and the expectation', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grpo-cli-'));
  try {
    const cfg = join(dir, 'run.json');
    writeFileSync(cfg, JSON.stringify({ model: 'x', num_generation: 4 }));
    const a = run('grpo', cfg);
    assert.notEqual(a.status, 0);
    assert.match(a.stderr, /num_generation/);
    const b = run('grpo', '--model', 'x', '--loss-type', 'bnpo');
    assert.match(b.stderr, /loss_type/);
    const c = run('grpo', '--model', join(dir, 'missing'), '--output-dir', join(dir, 'out'));
    assert.notEqual(c.status, 0);
    assert.match(c.stderr, /missing/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
