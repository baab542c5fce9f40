/**
 * The final R1-Zero recipe (recipes/r1-zero-final.yaml) end to end at toy size, with the real stage
 * runners: every stage parses; one command per stage (`--only`) evaluates the base twice, runs one
 * GRPO seed and evaluates it; the results are collected into committed-style files (digests,
 * metrics with per-tier and behaviour keys, times) and the page and summary.json are generated
 * from those files, with criteria whose runs are missing marked as not yet run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { collectR1ZeroResults } from '../../src/eval/r1-zero-collect.js';
import { r1ZeroCriteria, r1ZeroPage, r1ZeroSummary, readR1ZeroFiles } from '../../src/eval/r1-zero-page.js';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { readRecipe } from '../../src/pipeline/recipe.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { TOY_GRPO_ARGS, toyBase } from './toy-base.js';

const root = mkdtempSync(join(tmpdir(), 'r1-zero-final-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('the final recipe: one stage per command, then collected results and a generated page', async () => {
  const shipped = parsePipelineConfig(readRecipe('recipes/r1-zero-final.yaml'), 'recipes/r1-zero-final.yaml');
  const grpo = shipped.stages.filter((s) => s.kind === 'grpo') as { name: string; args: Record<string, unknown> }[];
  assert.deepEqual(
    grpo.map((s) => `${s.name} seed ${s.args.seed} ${s.args.loss_type}`),
    [
      'grpo-primed-s0 seed 0 grpo',
      'grpo-primed-s1 seed 1 grpo',
      'grpo-primed-s2 seed 2 grpo',
      'grpo-optimal-s0 seed 0 grpo',
      'grpo-optimal-s1 seed 1 grpo',
      'grpo-optimal-s2 seed 2 grpo',
      'grpo-wrong-s0 seed 0 grpo',
      'grpo-primed-drgrpo-s0 seed 0 dr_grpo',
    ],
  );
  // every RL run fills the base's context with prompt + completion, and evaluations sample as long
  const context = (
    JSON.parse(readFileSync('recipes/r1-zero-model-tiny.json', 'utf8')) as { max_position_embeddings: number }
  ).max_position_embeddings;
  const completion = grpo[0]!.args.max_completion_length as number;
  assert.equal((grpo[0]!.args.max_prompt_length as number) + completion, context);
  for (const s of grpo)
    assert.deepEqual(
      [s.args.max_completion_length, s.args.learning_rate, s.args.max_steps],
      [completion, 1e-4, grpo[0]!.args.max_steps],
      s.name,
    );
  for (const s of shipped.stages.filter((x) => x.kind === 'eval') as { name: string; max_new_tokens?: number }[])
    assert.equal(s.max_new_tokens, completion, s.name);

  const { base, dataset } = await toyBase(root);
  const r = readRecipe('recipes/r1-zero-final.yaml');
  Object.assign(r, { output_dir: join(root, 'final'), dataset_dir: dataset, base, threads: 1 });
  for (const s of r.stages) {
    if (s.model === 'runs/r1-zero/base-optimal' || s.model === 'runs/r1-zero/base-wrong') s.model = base;
    for (const m of (s.models ?? []) as { model: string }[]) if (m.model.startsWith('runs/')) m.model = base;
    if (s.kind === 'eval') Object.assign(s, { limit: 2, k: 2, max_new_tokens: 6, tasks: ['arithmetic', 'countdown'] });
    if (s.kind === 'grpo')
      s.args = { ...(s.args as object), ...TOY_GRPO_ARGS, difficulties: { countdown: [1], arithmetic: [1] } };
  }
  const c = parsePipelineConfig(r, 'toy final recipe');
  await assert.rejects(runPipeline(c, STAGE_RUNNERS, { only: 'eval-primed-s0' }), /run --only grpo-primed-s0 first/);
  for (const only of ['eval-base-primed', 'eval-base-primed-noise', 'grpo-primed-s0', 'eval-primed-s0'])
    await runPipeline(c, STAGE_RUNNERS, { only });
  assert.equal(existsSync(join(root, 'final', 'grpo-primed-s1')), false, 'no other stage ran');

  const out = join(root, 'results');
  const names = await collectR1ZeroResults({
    runsDir: join(root, 'final'),
    datasetDir: dataset,
    bases: [{ arm: 'primed', dir: join(root, 'base', 'pretrain', 'checkpoints') }],
    out,
  });
  assert.deepEqual(names.sort(), [
    'base-primed',
    'eval-base-primed',
    'eval-base-primed-noise',
    'eval-primed-s0',
    'grpo-primed-s0',
  ]);
  const files = readR1ZeroFiles(out);
  const before = files.evals.get('eval-base-primed')!;
  assert.deepEqual(
    before.tiers.map((t) => t.tier),
    ['arithmetic/1', 'countdown/1'],
  );
  assert.equal(before.problems.length, 4);
  assert.equal(before.settings.seed, 0);
  assert.equal(files.evals.get('eval-base-primed-noise')!.settings.seed, 1);
  const step = files.metrics.get('grpo-primed-s0')!.find((x) => x.type === 'grpo')!;
  for (const key of ['tiers/arithmetic/1/length', 'behaviours/verifications', 'behaviours/false_claim_share'])
    assert.ok(key in step, `${key} in the RL metrics`);
  assert.ok((files.runs['grpo-primed-s0']!.seconds ?? 0) > 0);
  // The toy tiers are not the headline tiers, and most runs are missing: no criterion is decided.
  assert.ok(r1ZeroCriteria(files).every((x) => x.met === undefined || x.id === 12));
  assert.deepEqual(r1ZeroSummary(files).arms.primed!.length, 1);
  assert.match(r1ZeroPage(files, []), /\| eval-primed-s0 \| primed-s0 \|/);
  assert.match(readFileSync(join(out, 'runs.json'), 'utf8'), /"grpo-primed-s0"/);
});
