/** `deepseek-ts pipeline`, `distill` and `report` as a user runs them: help texts and errors that say what was wrong. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 60_000 });

it('help of pipeline run / distill / report shows an example', () => {
  for (const args of [
    ['pipeline', 'run', '--help'],
    ['distill', '--help'],
    ['report', '--help'],
  ]) {
    const r = run(...args);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Example:\n {2}deepseek-ts /, args.join(' '));
  }
});

it('a bad pipeline config names the key; a missing run folder says what is expected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipe-cli-'));
  try {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'output_dir: o\ndataset_dir: d\nbase: b\nstages:\n  - {name: rl, kind: grpo, model: "@nope"}\n',
    );
    const r = run('pipeline', 'run', join(dir, 'bad.yaml'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /stage rl refers to @nope, which is not an earlier stage/);
    const rep = run('report', dir);
    assert.notEqual(rep.status, 0);
    assert.match(rep.stderr, /pipeline\.json does not exist/);
    // one evaluator: checkpoints of any stage go to `deepseek-ts eval` (test/eval/cli.test.ts)
    assert.match(run('pipeline', 'eval', dir).stderr, /unknown command 'eval'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
