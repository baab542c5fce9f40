/**
 * R1-Zero (recipes/r1-zero.yaml, src/rl/r1-zero.ts) through the pipeline runner on a toy size, with
 * the real stage runners: a toy recipe makes the data set and a micro base (`data` and `pretrain`
 * stages), then the R1-Zero recipe evaluates it, runs GRPO, evaluates again and writes the page.
 * An interrupted GRPO stage resumes from its last checkpoint with the evaluation before it skipped,
 * a finished run reruns nothing, and `--config` keys are checked before anything runs.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readManifest, runPipeline, type PipelineEvent, type StageManifest } from '../../src/pipeline/runner.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { r1ZeroRecipe, type R1ZeroOptions } from '../../src/rl/r1-zero.js';
import { TOY_GRPO_ARGS, toyBase } from './toy-base.js';

const root = mkdtempSync(join(tmpdir(), 'r1-zero-recipe-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the R1-Zero recipe runs through the runner; an interrupted GRPO stage resumes, a finished run reruns nothing', async () => {
  const { base, dataset } = await toyBase(root);
  const out = join(root, 'r1-zero');
  const options: R1ZeroOptions = {
    base,
    datasetDir: dataset,
    outputDir: out,
    results: join(root, 'page', 'r1-zero.md'),
    tasks: ['arithmetic'],
    layers: [
      {
        ...TOY_GRPO_ARGS,
        warmup_steps: 0,
        save_steps: 1,
        save_total_limit: 0,
        log_completions_steps: 1,
      },
    ],
    evalLimit: 2,
    k: 2,
    threads: 1,
    command: 'deepseek-ts r1-zero (toy)',
  };
  const c = r1ZeroRecipe(options);
  const evalBefore = c.stages[0] as { limit: number; k: number; max_new_tokens: number };
  assert.deepEqual([evalBefore.limit, evalBefore.k, evalBefore.max_new_tokens], [2, 2, 6], 'flags reach the evals');
  const run = async () => {
    const events: PipelineEvent[] = [];
    const ms = await runPipeline(c, STAGE_RUNNERS, { onEvent: (e) => events.push(e) });
    return { events, ms };
  };
  const started = (es: PipelineEvent[]) =>
    es.filter((e) => e.type === 'stage-start').map((e) => `${e.stage}${e.resume ? ' (resume)' : ''}`);

  const first = await run();
  assert.deepEqual(started(first.events), ['eval-before', 'grpo', 'eval-after', 'report']);
  assert.ok(existsSync(options.results), 'the results page is written');
  assert.match(readFileSync(options.results, 'utf8'), /deepseek-ts r1-zero \(toy\)/);
  const ck = join(out, 'grpo', 'checkpoints');
  assert.equal(readFileSync(join(ck, 'latest'), 'utf8').trim(), 'checkpoint-000002');

  // An interruption after the step-1 checkpoint: the manifests say the GRPO stage was running.
  const step1 = readdirSync(ck).find((d) => d.endsWith('000001'))!;
  writeFileSync(join(ck, 'latest'), step1);
  rmSync(join(ck, 'checkpoint-000002'), { recursive: true });
  const m = readManifest(join(out, 'grpo'))!;
  writeFileSync(
    join(out, 'grpo', 'manifest.json'),
    JSON.stringify({ ...m, status: 'running' } satisfies StageManifest),
  );
  const second = await run();
  // The evaluation after GRPO and the page were made from the old run: they are stale and run again.
  assert.deepEqual(started(second.events), ['grpo (resume)', 'eval-after', 'report']);
  assert.ok(
    second.events.some((e) => e.type === 'stage-skip' && e.stage === 'eval-before'),
    'the finished evaluation is skipped',
  );
  assert.ok(second.events.some((e) => e.type === 'log' && e.message === 'resuming at step 1'));
  assert.equal(readFileSync(join(ck, 'latest'), 'utf8').trim(), 'checkpoint-000002');
  assert.equal(readManifest(join(out, 'grpo'))!.attempts, 2);

  const third = await run();
  assert.deepEqual(started(third.events), [], 'a finished run reruns nothing');

  // `--max-steps 3` on the finished run continues GRPO from its checkpoint; what follows it runs again.
  const longer = r1ZeroRecipe({ ...options, layers: [...options.layers, { max_steps: 3 }] });
  const events: PipelineEvent[] = [];
  await runPipeline(longer, STAGE_RUNNERS, { onEvent: (e) => events.push(e) });
  assert.deepEqual(started(events), ['grpo (resume)', 'eval-after', 'report']);
  assert.ok(events.some((e) => e.type === 'log' && e.message === 'resuming at step 2'));
  assert.equal(readFileSync(join(ck, 'latest'), 'utf8').trim(), 'checkpoint-000003');

  // --config keys are the grpo stage's args: a typo fails before any stage runs.
  assert.throws(
    () => r1ZeroRecipe({ ...options, outputDir: join(root, 'never'), layers: [{ num_generation: 2 }] }),
    /stage grpo \(grpo\)[\s\S]*num_generation/,
  );
  assert.equal(existsSync(join(root, 'never')), false);
});
