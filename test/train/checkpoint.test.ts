/**
 * Checkpoint safety: a corrupt checkpoint is a clear error naming the file; a save that fails
 * (or a process killed) mid-write leaves the previous checkpoint and `latest` intact; non-finite
 * steps are skipped, and too many in a row stop the run without touching saved checkpoints.
 */
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createWasmBackend } from '../../src/kernels/wasm/index.js';
import { initParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { loadTrainCheckpoint, saveTrainCheckpoint, type TrainerState } from '../../src/train/checkpoint.js';
import { resolveRunConfig } from '../../src/train/config.js';
import { MetricsLog } from '../../src/train/metrics.js';
import { Objective } from '../../src/train/objective.js';
import { makeOptimizer } from '../../src/train/session.js';
import { NonFiniteError, Trainer } from '../../src/train/trainer.js';
import { microConfig, tmp } from './fixtures.js';

const state = (step: number): TrainerState => ({
  step,
  optimizer_step: step,
  data_state: { epoch: 0, doc: step, offset: 0 },
  rng_state: new Rng(1).state(),
  tokens_seen: 0,
  consecutive_nonfinite: 0,
  skipped_steps: 0,
});

describe('training checkpoints', () => {
  let engine: Engine;
  before(async () => {
    engine = new Engine(await createWasmBackend({ threads: 1 }));
  });
  after(() => engine.backend.dispose());

  const setup = () => {
    const config = microConfig();
    const params = initParams(engine, config, new Rng(4));
    const optimizer = makeOptimizer(params, resolveRunConfig([]));
    return { config, params, optimizer, runConfig: { note: 'test' } };
  };

  it('round-trips weights, moments and state; a flipped byte is a clear error naming the file', async () => {
    const out = tmp('ck'),
      s = setup();
    const dir = await saveTrainCheckpoint(out, { ...s, state: state(7) });
    assert.equal(readFileSync(join(out, 'latest'), 'utf8').trim(), 'checkpoint-000007');
    const ck = await loadTrainCheckpoint(engine, out);
    assert.equal(ck.state.step, 7);
    assert.deepEqual(ck.state.data_state, { epoch: 0, doc: 7, offset: 0 });
    const key = 'model.embed_tokens.weight';
    assert.deepEqual(ck.params.get(key)!.toArray(), s.params.get(key)!.toArray());
    assert.equal(ck.optimizer.size, 2 * [...s.params.values()].filter((p) => p.requiresGrad).length);
    const f = join(dir, 'model.safetensors'),
      bytes = readFileSync(f);
    bytes[bytes.length - 5]! ^= 0x40;
    writeFileSync(f, bytes);
    await assert.rejects(
      loadTrainCheckpoint(engine, out),
      /checkpoint .*checkpoint-000007 is corrupt: model\.safetensors does not match its SHA-256/,
    );
    writeFileSync(join(out, 'latest'), '../../etc\n');
    await assert.rejects(loadTrainCheckpoint(engine, out), /latest is corrupt/);
    await assert.rejects(loadTrainCheckpoint(engine, tmp('empty')), /no trainer_state\.json and no latest pointer/);
  });

  it('a save that fails mid-write leaves the previous checkpoint and latest intact', async () => {
    const out = tmp('atomic'),
      s = setup();
    await saveTrainCheckpoint(out, { ...s, state: state(1) });
    await assert.rejects(
      saveTrainCheckpoint(
        out,
        { ...s, state: state(2) },
        {
          beforeCommit: () => {
            throw new Error('disk full (simulated)');
          },
        },
      ),
      /disk full/,
    );
    assert.equal(readFileSync(join(out, 'latest'), 'utf8').trim(), 'checkpoint-000001');
    assert.deepEqual(readdirSync(out).sort(), ['checkpoint-000001', 'latest']);
    assert.equal((await loadTrainCheckpoint(engine, out)).state.step, 1);
  });

  it('a process killed (SIGKILL) while writing a checkpoint leaves the previous one loadable', async () => {
    const out = tmp('kill'),
      s = setup();
    await saveTrainCheckpoint(out, { ...s, state: state(1) });
    const here = fileURLToPath(new URL('.', import.meta.url));
    const script = `
      const { createReferenceBackend } = await import(${JSON.stringify(join(here, '../../src/kernels/index.js'))});
      const { Engine, Rng } = await import(${JSON.stringify(join(here, '../../src/tensor/index.js'))});
      const { initParams } = await import(${JSON.stringify(join(here, '../../src/models/deepseek-v3/checkpoint.js'))});
      const { saveTrainCheckpoint } = await import(${JSON.stringify(join(here, '../../src/train/checkpoint.js'))});
      const { makeOptimizer } = await import(${JSON.stringify(join(here, '../../src/train/session.js'))});
      const { resolveRunConfig } = await import(${JSON.stringify(join(here, '../../src/train/config.js'))});
      const { microConfig } = await import(${JSON.stringify(join(here, 'fixtures.js'))});
      const e = new Engine(createReferenceBackend());
      const config = microConfig(), params = initParams(e, config, new Rng(5));
      await saveTrainCheckpoint(${JSON.stringify(out)}, { config, params, optimizer: makeOptimizer(params, resolveRunConfig([])), runConfig: {},
        state: { step: 2, optimizer_step: 2, data_state: null, rng_state: new Rng(1).state(), tokens_seen: 0, consecutive_nonfinite: 0, skipped_steps: 0 } },
        { beforeCommit: () => process.kill(process.pid, 'SIGKILL') });`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(r.signal, 'SIGKILL', r.stderr);
    assert.equal(readFileSync(join(out, 'latest'), 'utf8').trim(), 'checkpoint-000001');
    assert.ok(
      readdirSync(out).some((f) => f.startsWith('.tmp-checkpoint-000002')),
      'the killed save left its temporary folder',
    );
    const ck = await loadTrainCheckpoint(engine, out);
    assert.equal(ck.state.step, 1);
    assert.deepEqual(ck.params.get('model.norm.weight')!.toArray(), s.params.get('model.norm.weight')!.toArray());
  });

  it('non-finite losses skip steps and stop the run after max_consecutive_nonfinite', async () => {
    const out = tmp('nan'),
      s = setup();
    await saveTrainCheckpoint(out, { ...s, state: state(0) });
    const before = readFileSync(join(out, 'checkpoint-000000', 'model.safetensors'));
    const head = s.params.get('lm_head.weight')!;
    engine.backend.f32()[(head.ptr >>> 2) + 3 * 32] = NaN; // logit of token 3 (after routing: the router sees finite inputs)
    const c = resolveRunConfig([{ max_steps: 10, max_consecutive_nonfinite: 3, save_steps: 1, eval_steps: 0 }]);
    const objective = new Objective(engine, s.config, s.params, {
      seqAuxAlpha: 0,
      auxLossAlpha: 0,
      mtpLambda: 0.3,
      precision: 'fp32',
    });
    const events: string[] = [];
    const trainer = new Trainer(
      {
        engine,
        objective,
        optimizer: s.optimizer,
        evalBatches: [],
        rng: new Rng(1),
        metrics: new MetricsLog(join(out, 'metrics.jsonl')),
        config: c,
        source: {
          next: () => ({ batchSize: 1, seqLen: 8, tokens: Int32Array.from([2, 3, 4, 5, 6, 7, 8, 9]) }),
          state: () => null,
        },
        save: async () => {
          throw new Error('must not save after a skipped step');
        },
        onEvent: (e) => {
          if (e.type === 'skip') events.push(`${e.step}:${e.reason}`);
        },
      },
      state(0),
    );
    await assert.rejects(
      trainer.run(),
      (err: unknown) => err instanceof NonFiniteError && /3 consecutive steps had a non-finite loss/.test(err.message),
    );
    assert.deepEqual(events, ['1:loss NaN', '2:loss NaN', '3:loss NaN']);
    assert.ok(readFileSync(join(out, 'checkpoint-000000', 'model.safetensors')).equals(before));
    assert.ok(existsSync(join(out, 'metrics.jsonl')));
    objective.dispose();
  });
});
