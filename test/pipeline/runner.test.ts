/**
 * The pipeline runner with fake stages: manifests, skip of finished stages, resume of an interrupted
 * one, references, config errors (stage args included, at parse time), and the shipped recipes.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parsePipelineConfig, readPipelineConfig } from '../../src/pipeline/config.js';
import { readManifest, runPipeline, type StageContext, type StageRunners } from '../../src/pipeline/runner.js';

const config = (out: string, lr = 1e-4) =>
  parsePipelineConfig({
    output_dir: out,
    dataset_dir: 'data',
    base: 'base-model',
    stages: [
      { name: 'cold', kind: 'cold_start', solver_traces: { arithmetic: 4 } },
      { name: 'sft1', kind: 'sft', model: '@base', data: '@cold', args: { learning_rate: lr } },
      { name: 'rl1', kind: 'grpo', model: '@sft1' },
      {
        name: 'eval',
        kind: 'eval',
        models: [
          { label: 'base', model: '@base', template: 'r1-zero' },
          { label: 'rl', model: '@rl1', template: 'r1' },
        ],
      },
    ],
  });

/** Fake runners that record their calls; `failOnce` makes a stage throw on its first attempt. */
function fakes(calls: string[], failOnce?: string): StageRunners {
  let failed = false;
  const ck = (ctx: StageContext) => join(ctx.dir, 'ck');
  return {
    cold_start: async (ctx) => {
      calls.push(`cold resume=${ctx.resume}`);
      return { dataset_dir: join(ctx.dir, 'data') };
    },
    sft: async (ctx) => {
      const s = ctx.stage as { model: string; data: string };
      calls.push(`sft resume=${ctx.resume} model=${ctx.model(s.model)} data=${ctx.data(s.data).endsWith('cold/data')}`);
      if (failOnce === 'sft' && !failed) {
        failed = true;
        throw new Error('killed');
      }
      return { checkpoint: ck(ctx) };
    },
    grpo: async (ctx) => {
      calls.push(
        `grpo resume=${ctx.resume} model=${ctx.model((ctx.stage as { model: string }).model).endsWith('sft1/ck')}`,
      );
      return { checkpoint: ck(ctx) };
    },
    eval: async (ctx) => {
      calls.push(
        `eval ${(ctx.stage as { models: { model: string }[] }).models.map((m) => ctx.model(m.model).split('/').slice(-2).join('/')).join(' ')}`,
      );
      return { evals: {} };
    },
  };
}

test('runs every stage once, skips finished stages on a rerun, and resolves @ references', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-'));
  try {
    const calls: string[] = [];
    const ms = await runPipeline(config(out), fakes(calls));
    assert.deepEqual(
      ms.map((m) => m.status),
      ['done', 'done', 'done', 'done'],
    );
    assert.deepEqual(calls, [
      'cold resume=false',
      'sft resume=false model=base-model data=true',
      'grpo resume=false model=true',
      'eval base-model rl1/ck',
    ]);
    assert.equal(readManifest(join(out, 'rl1'))!.outputs!.checkpoint, join(out, 'rl1', 'ck'));
    const again: string[] = [];
    await runPipeline(config(out), fakes(again));
    assert.deepEqual(again, [], 'a rerun of a finished pipeline runs nothing');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an interrupted stage is resumed on the rerun; the stages before it are skipped; --until stops early', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-'));
  try {
    const calls: string[] = [];
    await assert.rejects(runPipeline(config(out), fakes(calls, 'sft')), /killed/);
    assert.equal(readManifest(join(out, 'sft1'))!.status, 'running');
    const again: string[] = [];
    const ms = await runPipeline(config(out), fakes(again), { until: 'rl1' });
    assert.deepEqual(again, ['sft resume=true model=base-model data=true', 'grpo resume=false model=true']);
    assert.equal(ms.length, 3);
    assert.equal(readManifest(join(out, 'sft1'))!.attempts, 2);
    assert.equal(readManifest(join(out, 'eval')), undefined);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('--only runs one stage: earlier unfinished stages are left alone; a stage it reads must be done', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-only-'));
  try {
    const calls: string[] = [];
    // cold reads nothing: it runs alone; sft1 is not run, though it comes first
    await runPipeline(config(out), fakes(calls), { only: 'cold' });
    assert.deepEqual(calls, ['cold resume=false']);
    assert.equal(readManifest(join(out, 'sft1')), undefined);
    // rl1 reads sft1, which has not run
    await assert.rejects(
      runPipeline(config(out), fakes([]), { only: 'rl1' }),
      /--only rl1: it reads @sft1, which has not finished; run --only sft1 first/,
    );
    const next: string[] = [];
    await runPipeline(config(out), fakes(next), { only: 'sft1' });
    await runPipeline(config(out), fakes(next), { only: 'rl1' });
    assert.deepEqual(next, ['sft resume=false model=base-model data=true', 'grpo resume=false model=true']);
    assert.equal(readManifest(join(out, 'eval')), undefined, 'the stage after --only is not run');
    // rerunning an earlier stage with --only leaves the later finished ones as they are
    const index = () =>
      JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')).stages.map((s: { name: string }) => s.name);
    assert.deepEqual(index(), ['cold', 'sft1', 'rl1'], 'the index lists every finished stage');
    rmSync(join(out, 'cold'), { recursive: true });
    await runPipeline(config(out), fakes([]), { only: 'cold' });
    assert.equal(
      readManifest(join(out, 'rl1'))!.status,
      'done',
      'not removed as stale by an --only run of another stage',
    );
    assert.deepEqual(index(), ['cold', 'sft1', 'rl1']);
    await assert.rejects(runPipeline(config(out), fakes([]), { only: 'nope' }), /--only: no stage is called "nope"/);
    await assert.rejects(runPipeline(config(out), fakes([]), { only: 'rl1', until: 'rl1' }), /give one of them/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a finished stage whose config changed is an error that says what to do', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-'));
  try {
    await runPipeline(config(out), fakes([]));
    await assert.rejects(runPipeline(config(out, 3e-4), fakes([])), /sft1.*different config; delete/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('a training stage run longer continues; the stages after a stage that ran again run again', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-longer-'));
  const recipe = (steps: number) =>
    parsePipelineConfig({
      output_dir: out,
      dataset_dir: 'data',
      base: 'b',
      stages: [
        { name: 'rl', kind: 'grpo', model: '@base', args: { max_steps: steps } },
        { name: 'eval', kind: 'eval', models: [{ label: 'rl', model: '@rl', template: 'r1' }] },
      ],
    });
  try {
    await runPipeline(recipe(10), fakes([]));
    const calls: string[] = [];
    await runPipeline(recipe(20), fakes(calls));
    assert.deepEqual(calls, ['grpo resume=true model=false', 'eval rl/ck'], 'more steps: GRPO continues, eval reruns');
    assert.equal(readManifest(join(out, 'rl'))!.attempts, 2);
    const again: string[] = [];
    await runPipeline(recipe(20), fakes(again));
    assert.deepEqual(again, []);
    await assert.rejects(
      runPipeline(recipe(5), fakes([])),
      /rl.*different config/,
      'fewer steps is not a continuation',
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('config errors: unknown keys, forward references, duplicate names; YAML files parse', () => {
  const base = { output_dir: 'o', dataset_dir: 'd', base: 'b' };
  assert.throws(
    () => parsePipelineConfig({ ...base, stages: [{ name: 'a', kind: 'grpo', model: '@base', lr: 1 }] }),
    /lr/,
  );
  assert.throws(
    () => parsePipelineConfig({ ...base, stages: [{ name: 'a', kind: 'grpo', model: '@later' }] }),
    /refers to @later, which is not an earlier stage/,
  );
  assert.throws(
    () =>
      parsePipelineConfig({
        ...base,
        stages: [
          { name: 'a', kind: 'grpo', model: '@base' },
          { name: 'a', kind: 'grpo', model: '@a' },
        ],
      }),
    /used twice/,
  );
  const dir = mkdtempSync(join(tmpdir(), 'pipe-yaml-'));
  try {
    writeFileSync(
      join(dir, 'r1.yaml'),
      'output_dir: runs/x\ndataset_dir: d\nbase: b\nstages:\n  - name: rl\n    kind: grpo\n    model: "@base"\n    args: {max_steps: 3}\n',
    );
    const c = readPipelineConfig(join(dir, 'r1.yaml'));
    assert.deepEqual(c.stages[0], { name: 'rl', kind: 'grpo', model: '@base', args: { max_steps: 3 } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a typo in a stage arg fails when the recipe is parsed, naming the stage and the key', () => {
  const base = { output_dir: 'o', dataset_dir: 'd', base: 'b' };
  const stages = [
    { name: 'sft1', kind: 'sft', model: '@base', data: 'd', args: { max_steps: 5 } },
    { name: 'rl', kind: 'grpo', model: '@sft1', args: { learning_rat: 1e-5 } },
  ];
  assert.throws(
    () => parsePipelineConfig({ ...base, stages }),
    (e: Error) =>
      /stage rl \(grpo\)/.test(e.message) && /stages\.1\.args/.test(e.message) && /learning_rat/.test(e.message),
  );
  // A bad value of a known key is caught as early, and args stay as written (no defaults filled in).
  assert.throws(
    () => parsePipelineConfig({ ...base, stages: [{ ...stages[0]!, args: { max_steps: 'many' } }] }),
    /stage sft1 \(sft\)[\s\S]*max_steps/,
  );
  // Task names too: an unknown task is an error before anything runs.
  assert.throws(
    () =>
      parsePipelineConfig({ ...base, stages: [{ ...stages[1]!, model: '@base', args: { tasks: { countdwn: 1 } } }] }),
    /stage rl: args\.tasks: unknown task "countdwn"/,
  );
  // And a student's model config.
  const student = (config: Record<string, unknown>) => ({
    name: 'd',
    kind: 'distill',
    teacher: '@base',
    tasks: { arithmetic: 2 },
    students: [{ name: 's', config }],
    base_args: { max_steps: 1 },
  });
  assert.doesNotThrow(() => parsePipelineConfig({ ...base, stages: [student({ hidden_size: 32 })] }));
  assert.throws(
    () => parsePipelineConfig({ ...base, stages: [student({ hiden_size: 32 })] }),
    /stage d: students\.s\.config: unknown keys hiden_size/,
  );
  assert.throws(
    () => parsePipelineConfig({ ...base, stages: [{ ...student({}), base_args: { max_step: 1 } }] }),
    /stage d \(distill\)[\s\S]*base_args[\s\S]*max_step/,
  );
  assert.deepEqual((parsePipelineConfig({ ...base, stages: [stages[0]!] }).stages[0] as { args: unknown }).args, {
    max_steps: 5,
  });
});

test('top-level base and dataset_dir may name stages; their outputs are what stages read', async () => {
  const out = mkdtempSync(join(tmpdir(), 'pipe-refs-'));
  const recipe = () =>
    parsePipelineConfig({
      output_dir: out,
      dataset_dir: '@data',
      base: '@pre',
      stages: [
        { name: 'data', kind: 'data', config: join(out, 'data.json') },
        { name: 'pre', kind: 'pretrain', args: { max_steps: 2 } },
        { name: 'rl', kind: 'grpo', model: '@base' },
      ],
    });
  try {
    assert.throws(recipe, /stage data: cannot read config .*data\.json/, 'a missing data config fails at parse time');
    writeFileSync(join(out, 'data.json'), '{"tasks": {"arithmetic": {"train": 1, "test": 1}}}');
    const c = recipe();
    const seen: string[] = [];
    await runPipeline(c, {
      data: async (ctx) => {
        assert.throws(() => ctx.pipeline.dataset_dir, /@data is used before its stage has run/);
        return { dataset_dir: join(ctx.dir, 'set') };
      },
      pretrain: async (ctx) => {
        seen.push(ctx.pipeline.dataset_dir);
        return { checkpoint: join(ctx.dir, 'ck') };
      },
      grpo: async (ctx) => {
        seen.push(ctx.model((ctx.stage as { model: string }).model), ctx.stageOf('@pre').kind);
        return { checkpoint: join(ctx.dir, 'ck') };
      },
    });
    assert.deepEqual(seen, [join(out, 'data', 'set'), join(out, 'pre', 'ck'), 'pretrain']);
    assert.throws(
      () => parsePipelineConfig({ output_dir: out, dataset_dir: '@nope', base: 'b', stages: c.stages }),
      /dataset_dir @nope is not a stage/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the shipped recipes parse and validate', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const cwd = process.cwd();
  process.chdir(root); // recipe paths are relative to the repository root
  try {
    for (const name of readdirSync('recipes').filter((f) => f.endsWith('.yaml'))) {
      const c = readPipelineConfig(join('recipes', name));
      assert.ok(c.stages.length > 0, name);
    }
    const tiny = readPipelineConfig('recipes/r1-tiny.yaml');
    assert.deepEqual(
      tiny.stages.map((s) => s.kind),
      ['data', 'pretrain', 'grpo', 'export'],
    );
    // The shipped model is the primed arm of the R1-Zero experiment: the same RL config as its seed 0
    // (whose export is what ships), and the base of protocol section 9.
    const experiment = readPipelineConfig('recipes/r1-zero-final.yaml');
    const s0 = experiment.stages.find((s) => s.name === 'grpo-primed-s0') as { args: Record<string, unknown> };
    const rl = tiny.stages[2] as { args: Record<string, unknown> };
    assert.deepEqual(rl.args, s0.args);
    const pre = tiny.stages[1] as { args: Record<string, unknown> };
    assert.deepEqual(
      [pre.args.model, pre.args.max_steps, pre.args.max_seq_length, pre.args.seed],
      ['recipes/r1-zero-model-tiny.json', 4000, 1152, 42],
    );
    const shipped = experiment.stages.find((s) => s.name === 'export-shipped') as { model: string; out: string };
    assert.deepEqual([shipped.model, shipped.out], ['@grpo-primed-s0', 'models/r1-tiny']);
    // The YAML merge key carries the reasoning-RL settings into the later RL runs.
    const r1 = readPipelineConfig('recipes/r1-pipeline.yaml');
    const final = r1.stages.find((s) => s.name === 'rl-final') as { args: Record<string, unknown> };
    assert.equal(final.args.template, 'r1');
    assert.equal(final.args.max_steps, 60);
    assert.deepEqual(final.args.reward_weights, { accuracy: 1, format: 1, language: 1, length: 1 });
  } finally {
    process.chdir(cwd);
  }
});
