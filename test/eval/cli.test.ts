/**
 * `deepseek-ts eval` end to end on a tiny random dense student and a two-task dataset folder: the
 * JSON report has every column per task and "all", is identical for the same seed, --no-greedy
 * leaves greedy accuracy out, --out keeps every response, the table names the columns, and bad
 * flags are errors naming the flag. The R1-Zero view of the same evaluator (evaluateCheckpoint)
 * keeps its report shape.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { evaluateCheckpoint } from '../../src/eval/checkpoint-eval.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initDenseParams, parseDenseConfig, saveDenseCheckpoint } from '../../src/models/qwen2/index.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { toyDataset } from './fixtures.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) => spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
let dir: string, data: string, model: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eval-cli-'));
  data = join(dir, 'data');
  model = join(dir, 'student');
  const tok = toyDataset(data, 3);
  const config = parseDenseConfig({
    model_type: 'qwen2',
    vocab_size: tok.vocabSize,
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    max_position_embeddings: 512,
    tie_word_embeddings: true,
    initializer_range: 0.1,
    eos_token_id: tok.eosId ?? null,
  }).config;
  const e = new Engine(createReferenceBackend());
  const params = initDenseParams(e, config, new Rng(2));
  await saveDenseCheckpoint(model, config, params);
  for (const p of params.values()) p.dispose();
  e.backend.dispose();
});
after(() => rmSync(dir, { recursive: true, force: true }));

const COLUMNS = [
  'task',
  'problems',
  'k',
  'pass_at_1',
  'pass_at_k',
  'cons_at_k',
  'format_rate',
  'mean_length',
  'reflection_rate',
  'greedy_accuracy',
  'format_violation_rate',
  'language_mixing_rate',
];
const common = ['--dataset', '', '--limit', '2', '--k', '2', '--max-new-tokens', '4', '--threads', '1', '--seed', '3'];
const args = () => common.map((a) => (a === '' ? data : a));

test('eval --json: every column per task and "all", deterministic for a seed; --out keeps every response', () => {
  const out = join(dir, 'full.json');
  const a = run('eval', model, ...args(), '--json', '--out', out);
  assert.equal(a.status, 0, a.stderr);
  const rep = JSON.parse(a.stdout) as {
    modelType: string;
    settings: { k: number; greedy: boolean; seed: number };
    rows: Record<string, unknown>[];
  };
  assert.equal(rep.modelType, 'qwen2');
  assert.deepEqual([rep.settings.k, rep.settings.greedy, rep.settings.seed], [2, true, 3]);
  assert.deepEqual(
    rep.rows.map((r) => r.task),
    ['arithmetic', 'countdown', 'all'],
  );
  for (const r of rep.rows) {
    assert.deepEqual(Object.keys(r).sort(), [...COLUMNS].sort());
    for (const c of COLUMNS.slice(3))
      assert.ok(typeof r[c] === 'number' && (r[c] as number) >= 0, `${r.task} ${c} = ${r[c]}`);
    for (const c of ['pass_at_1', 'greedy_accuracy', 'format_violation_rate', 'language_mixing_rate'])
      assert.ok((r[c] as number) <= 1);
    assert.ok((r.mean_length as number) <= 4);
  }
  assert.equal(rep.rows[2]!.problems, 4);
  assert.match(
    a.stderr,
    /^task\s+problems\s+pass@1\s+pass@2\s+cons@2\s+greedy\s+length\s+fmt-viol\s+mixing\s+reflect$/m,
  );
  const full = JSON.parse(readFileSync(out, 'utf8')) as {
    results: { responses: string[] }[];
    greedy: { responses: string[] }[];
  };
  assert.equal(full.results.length, 4);
  assert.ok(full.results.every((r) => r.responses.length === 2));
  assert.equal(full.greedy.length, 4);
  const b = run('eval', model, ...args(), '--json');
  assert.equal(b.status, 0, b.stderr);
  assert.equal(b.stdout, a.stdout, 'the same seed gives the same report');
});

test('eval --no-greedy prints the table with greedy "-"; bad flags name the flag', () => {
  const r = run('eval', model, ...args(), '--no-greedy');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^all\s+4\s+\S+%\s+\S+%\s+\S+%\s+-\s/m);
  assert.match(run('eval', model, ...args(), '--k', '0').stderr, /--k must be at least 1, got 0/);
  assert.match(
    run('eval', model, ...args(), '--template', 'chat').stderr,
    /--template must be r1-zero or r1, got "chat"/,
  );
  assert.match(run('eval', model, ...args(), '--tasks', 'nope').stderr, /--tasks: .* has no nope\.jsonl/);
});

test('eval --chat / --direct add the general-scenario rows (chat without accuracy) apart from "all"', () => {
  const r = run('eval', model, ...args(), '--no-greedy', '--chat', '2', '--direct', '3', '--json');
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout) as { rows: { task: string }[]; general: Record<string, unknown>[] };
  assert.deepEqual(
    rep.rows.map((x) => x.task),
    ['arithmetic', 'countdown', 'all'],
  );
  assert.deepEqual(
    rep.general.map((x) => [x.task, x.problems]),
    [
      ['direct', 3],
      ['chat', 2],
    ],
  );
  assert.equal(rep.general[1]!.pass_at_1, null);
  assert.ok(typeof rep.general[1]!.format_violation_rate === 'number');
  assert.match(r.stderr, /general scenarios \(chat has nothing to verify: no accuracy\)\ntask\s+problems/);
  assert.match(run('eval', model, ...args(), '--chat', '-1').stderr, /--chat/);
});

test('the R1-Zero view (evaluateCheckpoint) keeps options, reports and results; no greedy pass unless asked', async () => {
  const o = {
    model,
    datasetDir: data,
    tasks: ['countdown'],
    limit: 2,
    k: 2,
    temperature: 0.6,
    topP: 0.95,
    maxNewTokens: 3,
    template: 'r1-zero' as const,
    seed: 1,
    threads: 1,
  };
  const r = await evaluateCheckpoint(o);
  assert.equal(r.model, model);
  assert.deepEqual(r.options, o);
  assert.deepEqual(
    r.reports.map((x) => x.task),
    ['countdown', 'all'],
  );
  assert.ok(Number.isNaN(r.reports[0]!.greedy_accuracy) && r.greedy === undefined);
  assert.deepEqual(
    r.results.map((x) => x.responses.length),
    [2, 2],
  );
  const g = await evaluateCheckpoint({ ...o, greedy: true });
  assert.equal(g.greedy?.length, 2);
  assert.deepEqual(g.results, r.results, 'the greedy pass does not change the sampled one');
});
