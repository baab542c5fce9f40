/**
 * The committed experiment results are what today's code produces: reruns the exact command each
 * docs/results/<name>/results.json records (its provenance), on a freshly built copy of the
 * documented data set, into a temp folder, and compares every arm's final held-out record with the
 * committed one. Training is deterministic for a thread count (same data order, same seed, same
 * kernels), so any difference means the page is stale: rerun the command and commit the result.
 * Runs under `npm run test:slow` (a few minutes each on 2 cores). The FP8 experiment is left out:
 * its simulated-FP8 arm alone takes several minutes. The R1-Zero smoke (docs/results/r1-zero-smoke.json:
 * a few GRPO steps on the shipped model, evaluated before and after) is rerun the same way; its
 * evaluation rows and last GRPO record (timings aside) must match.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ExperimentResult } from '../../src/train/experiments.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

const MAIN = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const DATA_CONFIG = join(REPO_ROOT, 'docs', 'results', 'configs', 'tiny-data.json');

function run(args: string[]): void {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, `deepseek-ts ${args.join(' ')} failed:\n${r.stderr}`);
}

/** The recorded command's arguments with the flags named in `moved` set to the given values instead. */
function rerunArgs(command: string, moved: Record<string, string>): string[] {
  const words = command.split(' ');
  assert.equal(words[0], 'deepseek-ts', `unexpected command ${command}`);
  const args: string[] = [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w in moved) i++;
    else args.push(w);
  }
  return [...args, ...Object.entries(moved).flat()];
}

let data: string | undefined;
/** One freshly built copy of the documented data set for all reruns. */
function dataDir(): string {
  if (!data) {
    data = mkdtempSync(join(tmpdir(), 'experiments-rerun-'));
    run(['data', 'build', DATA_CONFIG, '--out', join(data, 'data')]);
  }
  return data;
}

for (const name of ['balance', 'mtp']) {
  test(`docs/results/${name}/results.json is what its recorded command produces today`, () => {
    const committed = JSON.parse(
      readFileSync(join(REPO_ROOT, 'docs', 'results', name, 'results.json'), 'utf8'),
    ) as ExperimentResult;
    assert.ok(committed.provenance, `${name}/results.json records no command; rerun the experiment`);
    const tmp = dataDir();
    run(
      rerunArgs(committed.provenance.command, {
        '--dataset-dir': join(tmp, 'data'),
        '--results-dir': join(tmp, 'results'),
        '--runs-dir': join(tmp, 'runs'),
      }),
    );
    const fresh = JSON.parse(readFileSync(join(tmp, 'results', name, 'results.json'), 'utf8')) as ExperimentResult;
    assert.deepEqual(
      fresh.arms.map((a) => a.name),
      committed.arms.map((a) => a.name),
    );
    for (const [i, arm] of fresh.arms.entries())
      assert.deepEqual(
        arm.final,
        committed.arms[i]!.final,
        `${name}/${arm.name}: the committed result is stale (\`${committed.provenance.command}\` gives another one); rerun it and commit docs/results/${name}`,
      );
  });
}

test('docs/results/r1-zero-smoke.json is what its recorded command produces today', () => {
  const committed = JSON.parse(readFileSync(join(REPO_ROOT, 'docs', 'results', 'r1-zero-smoke.json'), 'utf8'));
  const tmp = dataDir();
  const page = join(tmp, 'smoke', 'r1-zero-smoke.md');
  run(
    rerunArgs(committed.provenance.command, {
      '--dataset': join(tmp, 'data'),
      '--output-dir': join(tmp, 'smoke-runs'),
      '--results': page,
    }),
  );
  const fresh = JSON.parse(readFileSync(page.replace(/\.md$/, '.json'), 'utf8'));
  const stable = (r: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(r).filter(([k]) => !/sec|per_s|heap/.test(k)));
  const stale = `the committed R1-Zero smoke is stale (\`${committed.provenance.command}\` gives another result); rerun it and commit docs/results/r1-zero-smoke.*`;
  assert.deepEqual(fresh.before, committed.before, stale);
  assert.deepEqual(fresh.after, committed.after, stale);
  assert.deepEqual(stable(fresh.last), stable(committed.last), stale);
});

test('clean up', () => {
  if (data) rmSync(data, { recursive: true, force: true });
});
