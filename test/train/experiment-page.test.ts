/**
 * The experiment tables of docs/results/README.md are generated, never typed: the committed page
 * equals what src/train/experiment-page.ts makes of the committed results.json files, and the FP8
 * row is the relative difference of the final held-out losses (not of a training-loss point).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { experimentBlock, renderPage } from '../../src/train/experiment-page.js';
import type { ExperimentResult } from '../../src/train/experiments.js';
import { REPO_ROOT } from '../helpers/fixtures.js';

const RESULTS = join(REPO_ROOT, 'docs', 'results');

test('the committed results page is what the committed results.json files give', () => {
  const page = readFileSync(join(RESULTS, 'README.md'), 'utf8');
  for (const name of ['balance', 'mtp', 'fp8']) assert.ok(page.includes(`<!-- results:${name} -->`), name);
  assert.equal(renderPage(page, RESULTS), page, 'run `deepseek-ts experiment page` and commit docs/results/README.md');
});

test('the FP8 row compares the final held-out losses; tables mark the best arm', () => {
  const final = (val: number, acc: number) => ({ type: 'eval', step: 150, val_loss: val, val_accuracy: acc });
  const fp8: ExperimentResult = {
    experiment: 'fp8',
    claim: '',
    provenance: { commit: 'abcdef0123456789', dirty: false, command: 'deepseek-ts experiment fp8' },
    base: { max_steps: 150 },
    arms: [
      { name: 'fp32', overrides: {}, final: final(1.0395822376012802, 0), seconds: 1 },
      { name: 'fp8', overrides: {}, final: final(1.0551779121160507, 0), seconds: 1 },
    ],
    summary: { train_loss_curve: { mean_rel_diff: 0.0157, max_rel_diff: 0.0513, final_rel_diff: 0.0014, points: 30 } },
  };
  const block = experimentBlock(fp8);
  assert.match(block, /final held-out loss \(step 150\): fp32 1\.0396, fp8 1\.0552 \| \*\*1\.50%\*\*/);
  assert.match(block, /training loss, last logged step \| 0\.14%/);
  assert.match(block, /`deepseek-ts experiment fp8` at commit `abcdef0123`/);
  const mtp = experimentBlock({
    ...fp8,
    experiment: 'mtp',
    arms: [
      { name: 'a', overrides: { mtp_depth: 1 }, final: final(1.0, 0.7), seconds: 1 },
      { name: 'b', overrides: { mtp_depth: 0 }, final: final(1.1, 0.8), seconds: 1 },
    ],
  });
  assert.match(mtp, /\| a \| mtp_depth 1 \| \*\*1\.0000\*\* \| 0\.7000 \|/);
  assert.match(mtp, /\| b \| mtp_depth 0 \| 1\.1000 \| \*\*0\.8000\*\* \|/);
});
