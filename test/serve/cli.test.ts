/**
 * The `serve` and `chat` commands end to end on a tiny DeepSeek-V3 folder written here (seeded
 * random weights with an MTP module, a tokenizer trained here): `serve --port 0` answers the
 * openai client and reports its URL; `chat` streams a reply, obeys /clear and /exit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { initParams, saveCheckpoint, disposeParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { tinyConfig } from '../models/fixtures.js';
import { THINKING, ANSWER } from './fixture.js';

const MAIN = 'dist/src/cli/main.js';
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-serve-'));
  const t = trainTokenizer([THINKING, ANSWER, 'Hello there'], { vocabSize: 300 });
  saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
  const config = tinyConfig({ vocab_size: 320, max_position_embeddings: 96, num_nextn_predict_layers: 1 });
  const e = new Engine(createReferenceBackend());
  const params = initParams(e, config, new Rng(3));
  await saveCheckpoint(dir, config, params);
  disposeParams(params);
  e.backend.dispose();
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('serve --port 0 answers the openai client and prints its URL', async () => {
  const child = spawn(
    process.execPath,
    [MAIN, 'serve', '--model', dir, '--port', '0', '--backend', 'reference', '--model-name', 'tiny', '--quiet'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /API\s+(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d;
      });
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)));
    });
    assert.match(out, /MTP speculation/);
    const client = new OpenAI({ baseURL: url, apiKey: 'x', maxRetries: 0 });
    const r = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 6,
      temperature: 0,
    });
    assert.equal(r.usage!.completion_tokens <= 6, true);
    assert.ok(['stop', 'length'].includes(r.choices[0]!.finish_reason));
    const again = await client.chat.completions.create({
      model: 'tiny',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 6,
      temperature: 0,
    });
    assert.deepEqual(again.choices[0]!.message, r.choices[0]!.message, 'greedy replies repeat');
  } finally {
    child.kill('SIGTERM');
  }
});

test('chat streams replies and handles /clear and /exit', () => {
  const r = spawnSync(
    process.execPath,
    [MAIN, 'chat', '--model', dir, '--backend', 'reference', '--temperature', '0', '--max-tokens', '5'],
    {
      input: 'Hello\n/clear\nHello\n/exit\n',
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /deepseek-ts chat: deepseek-ts-serve-/);
  assert.match(r.stdout, /\(conversation cleared\)/);
  const replies = r.stdout.split('(conversation cleared)');
  assert.equal(replies.length, 2);
  assert.match(r.stdout, /cut at the token limit|\n> /);
  assert.doesNotMatch(r.stdout, /\(error/);
  const hidden = spawnSync(
    process.execPath,
    [
      MAIN,
      'chat',
      '--model',
      dir,
      '--backend',
      'reference',
      '--temperature',
      '0',
      '--max-tokens',
      '5',
      '--hide-thinking',
    ],
    {
      input: 'Hello\n',
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  assert.equal(hidden.status, 0, hidden.stderr);
  assert.doesNotMatch(hidden.stdout, /\[thinking\]/);
});
