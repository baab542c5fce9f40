/**
 * The one config layer (src/config/layers.ts) as every command uses it: defaults < file < flags,
 * unknown keys named in the error, flags parsed by their key's type, YAML and JSON files, stage
 * `args` schemas that add no defaults, and --help texts that are the schema's doc strings.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Command } from 'commander';
import { z } from 'zod';
import {
  addSchemaOptions,
  argsSchema,
  describeKey,
  flagLayer,
  readConfigFile,
  resolveLayers,
  resumeTarget,
} from '../../src/config/layers.js';
import { GrpoConfigSchema, resolveGrpoConfig } from '../../src/rl/config.js';
import { resolveRunConfig, RunConfigSchema } from '../../src/train/config.js';

const Schema = z.strictObject({
  name: z.string().default('run').describe('the run name'),
  steps: z.number().int().positive().default(10).describe('optimizer steps'),
  fp8: z.boolean().default(false),
  tasks: z.record(z.string(), z.number()).default({ a: 1 }),
});

test('precedence: defaults < config file < flags; undefined does not override', () => {
  const c = resolveLayers(
    Schema,
    [
      { steps: 5, name: 'file' },
      { steps: 7, name: undefined },
    ],
    'test config',
  );
  assert.deepEqual(c, { name: 'file', steps: 7, fp8: false, tasks: { a: 1 } });
});

test('unknown keys and bad values are errors naming the key and listing the valid ones', () => {
  assert.throws(
    () => resolveLayers(Schema, [{ step: 5 }], 'my config'),
    (e: Error) =>
      /my config is invalid/.test(e.message) && /"step"/.test(e.message) && /keys: name, steps/.test(e.message),
  );
  assert.throws(() => resolveLayers(Schema, [{ steps: -1 }], 'my config'), /steps: /);
  // The commands' configs go through the same formatter.
  assert.throws(() => resolveRunConfig([{ learning_rat: 1 }]), /run config is invalid:\n.*"learning_rat"/);
  assert.throws(
    () => resolveGrpoConfig([{ model: 'm', num_generation: 4 }]),
    /grpo config is invalid:\n.*num_generation/,
  );
});

test('flags are parsed by the type of their key', () => {
  const flags = flagLayer(Schema, { name: '123', steps: '40', fp8: 'true', tasks: '{"b": 2}', other: '1' });
  assert.deepEqual(flags, { name: '123', steps: 40, fp8: true, tasks: { b: 2 } });
  assert.throws(() => flagLayer(Schema, { tasks: '{b: 2' }), /--tasks: .* is not valid JSON/);
  // pretrain and grpo read flags the same way: a numeric-looking model path stays a string.
  assert.deepEqual(flagLayer(RunConfigSchema, { model: '7', maxSteps: '3' }), { model: '7', max_steps: 3 });
  assert.deepEqual(flagLayer(GrpoConfigSchema, { model: '7', beta: '0', syncRefModel: 'false' }), {
    model: '7',
    beta: 0,
    sync_ref_model: false,
  });
});

test('config files: JSON or YAML (with merge keys); a non-object or unreadable file is an error naming it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  try {
    writeFileSync(join(dir, 'a.json'), '{"steps": 3}');
    writeFileSync(join(dir, 'b.yaml'), 'common: &c {steps: 4, fp8: true}\nrun:\n  <<: *c\n  steps: 5\n');
    writeFileSync(join(dir, 'c.json'), '[1]');
    assert.deepEqual(readConfigFile(join(dir, 'a.json'), '--config'), { steps: 3 });
    assert.deepEqual(readConfigFile(join(dir, 'b.yaml'), '--config').run, { steps: 5, fp8: true });
    assert.deepEqual(readConfigFile(undefined, '--config'), {});
    assert.throws(
      () => readConfigFile(join(dir, 'c.json'), '--config'),
      /--config: config .*c\.json must hold an object/,
    );
    assert.throws(() => readConfigFile(join(dir, 'none.json'), 'grpo'), /grpo: cannot read config .*none\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('args schemas: the keys, optional, strict, without defaults', () => {
  const A = argsSchema(Schema);
  assert.deepEqual(A.parse({}), {}, 'no defaults are filled in (the stage has its own)');
  assert.deepEqual(A.parse({ steps: 3 }), { steps: 3 });
  assert.equal(A.safeParse({ step: 3 }).success, false);
  assert.equal(A.safeParse({ steps: 'x' }).success, false);
});

test("--help shows each key's doc string, the same text as the schema's", () => {
  const cmd = addSchemaOptions(new Command('x'), RunConfigSchema);
  const help = cmd.helpInformation();
  for (const key of ['learning_rate', 'max_steps', 'bias_update_speed']) {
    const flag = `--${key.replace(/_/g, '-')} <value>`;
    assert.ok(help.includes(flag), `${flag} in --help`);
    const opt = cmd.options.find((o) => o.flags === flag)!;
    assert.equal(opt.description, describeKey(RunConfigSchema, key));
  }
  assert.equal(describeKey(Schema, 'steps'), 'optimizer steps');
});

test('a bare --resume means the output_dir of the layers, else the default one', () => {
  assert.equal(resumeTarget(undefined, RunConfigSchema, []), undefined);
  assert.equal(resumeTarget('ck/x', RunConfigSchema, [{ output_dir: 'runs/a' }]), 'ck/x');
  assert.equal(resumeTarget(true, RunConfigSchema, [{ output_dir: 'runs/a' }, { output_dir: 'runs/b' }]), 'runs/b');
  assert.equal(resumeTarget(true, RunConfigSchema, []), 'runs/tiny');
  assert.equal(resumeTarget(true, GrpoConfigSchema, []), 'runs/grpo');
});
