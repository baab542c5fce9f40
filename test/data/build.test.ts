/**
 * `data build` end to end at a small size, plus the CLI commands it ships with: the held-out
 * split is fixed by the seed and disjoint from training, shards load in the packing loader, and
 * `tokenize` prints the ids the tokenizer gives.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildDataset } from '../../src/data/build.js';
import { parseDataConfig } from '../../src/data/config.js';
import { readJsonl } from '../../src/data/jsonl.js';
import { PackedLoader } from '../../src/data/loader.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import type { Problem } from '../../src/tasks/types.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

test('data build writes splits, corpus, SFT, tokenizer and shards; test split is fixed and disjoint', () => {
  const dir = mkdtempSync(join(tmpdir(), 'build-'));
  try {
    const tasks = {
      countdown: { train: 300, test: 100 },
      arithmetic: { train: 300, test: 100 },
      linear: { train: 300, test: 100 },
      word: { train: 300, test: 100 },
    };
    const s1 = buildDataset(
      parseDataConfig({ out: join(dir, 'a'), seed: 5, tasks, tokenizer: { train: { vocab_size: 800 } } }),
    );
    buildDataset(
      parseDataConfig({ out: join(dir, 'b'), seed: 5, tasks: { ...tasks, countdown: { train: 50, test: 100 } } }),
    );
    assert.equal(s1.corpus.clean + s1.corpus.corrected + s1.corpus.wrong, 1200);
    assert.ok(s1.corpus.corrected > 0 && s1.corpus.wrong > 0 && s1.sft > 0);
    for (const name of Object.keys(tasks)) {
      const test1 = readJsonl(join(dir, 'a', 'test', `${name}.jsonl`)) as Problem[];
      const test2 = readJsonl(join(dir, 'b', 'test', `${name}.jsonl`)) as Problem[];
      assert.deepEqual(test1, test2, `${name}: the test split must not depend on the training size`);
      const train = readJsonl(join(dir, 'a', 'train', `${name}.jsonl`)) as Problem[];
      const testKeys = new Set(test1.map((p) => p.key));
      assert.equal(testKeys.size, test1.length);
      assert.ok(!train.some((p) => testKeys.has(p.key)), `${name}: a test problem leaked into training`);
      assert.deepEqual(new Set(test1.map((p) => p.lang)), new Set(['en', 'zh']));
    }
    const tok = loadTokenizer(join(dir, 'a', 'tokenizer'));
    const loader = new PackedLoader(s1.shards!.dir, { seqLen: 128, batchSize: 2, seed: 1 });
    assert.equal(loader.size.tokens, s1.shards!.tokens);
    const b = loader.next();
    assert.ok(b.tokens.every((t) => t >= 0 && t < tok.vocabSize));
    assert.ok(existsSync(join(dir, 'a', 'manifest.json')) && existsSync(join(dir, 'a', 'sft.jsonl')));
    // A build that reuses a tokenizer keeps its own copy: training copies <dataset_dir>/tokenizer beside the weights.
    buildDataset(
      parseDataConfig({
        out: join(dir, 'c'),
        seed: 5,
        tasks: { countdown: { train: 20, test: 10 } },
        tokenizer: { path: join(dir, 'a', 'tokenizer') },
      }),
    );
    for (const f of ['tokenizer.json', 'tokenizer_config.json'])
      assert.deepEqual(
        JSON.parse(readFileSync(join(dir, 'c', 'tokenizer', f), 'utf8')),
        JSON.parse(readFileSync(join(dir, 'a', 'tokenizer', f), 'utf8')),
        `${f} copied into the reusing build`,
      );
    assert.equal(loadTokenizer(join(dir, 'c', 'tokenizer')).vocabSize, tok.vocabSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('config errors name the field', () => {
  assert.throws(
    () => parseDataConfig({ tasks: { chess: {} } }, 'c.json'),
    /c\.json: tasks\.chess: unknown task; expected one of countdown/,
  );
  assert.throws(() => parseDataConfig({ seeed: 1 }, 'c.json'), /c\.json is invalid:\n.*seeed/);
  assert.throws(() => parseDataConfig({ tasks: { linear: { train: -1 } } }), /tasks\.linear\.train/);
});

test('CLI: tokenize prints the ids; help and errors are clear', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-'));
  try {
    const texts = ['hello world 123', '<think>\n2 + 2 = 4\n</think>', '你好', 'multi\nline', ''];
    writeFileSync(
      join(dir, 'train.jsonl'),
      `${texts
        .concat(texts)
        .map((t) => JSON.stringify(t))
        .join('\n')}\n`,
    );
    const tr = cli(
      'tokenizer',
      'train',
      '--input',
      join(dir, 'train.jsonl'),
      '--out',
      join(dir, 'tok'),
      '--vocab-size',
      '300',
    );
    assert.equal(tr.status, 0, tr.stderr);
    const r = cli('tokenize', '--tokenizer', join(dir, 'tok', 'tokenizer.json'), '--jsonl', join(dir, 'train.jsonl'));
    assert.equal(r.status, 0, r.stderr);
    const tok = loadTokenizer(join(dir, 'tok'));
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as number[]);
    assert.equal(lines.length, texts.length * 2);
    texts.forEach((t, i) => assert.deepEqual(lines[i], tok.encode(t, { allowSpecial: true })));
    assert.equal(lines[1]![0], tok.tokenToId('<think>'));
    writeFileSync(join(dir, 'bad.jsonl'), '"ok"\n{"text": 1}\n');
    const bad = cli('tokenize', '--tokenizer', join(dir, 'tok'), '--jsonl', join(dir, 'bad.jsonl'));
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /bad\.jsonl:2: expected a JSON string, got object/);
    const help = cli('data', 'build', '--help');
    assert.match(help.stdout, /held-out test splits/);
    const missing = cli('data', 'build', join(dir, 'none.json'));
    assert.match(missing.stderr, /cannot read config .*none\.json/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
