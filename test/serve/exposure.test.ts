/**
 * Cross-origin and DNS-rebinding exposure (issue 17, defect 7): the API takes only JSON bodies (a
 * `text/plain` POST, which any web page may send without a preflight, is refused), the Host header
 * must name the bound address or an allowed host, CORS is off unless an origin is given, and
 * `start` and `serve` share one definition of the key / host / CORS options (with
 * DEEPSEEK_TS_API_KEY honoured by both).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands/index.js';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { disposeParams, initParams, saveCheckpoint } from '../../src/models/deepseek-v3/checkpoint.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { tinyConfig } from '../models/fixtures.js';
import { MODEL_ID, startStack } from './fixture.js';

const MAIN = 'dist/src/cli/main.js';
const stack = await startStack({ serve: { allowedHosts: ['chat.lan'] } });
const cors = await startStack({ serve: { cors: 'http://app.example' } });
after(async () => {
  await stack.server.close();
  await cors.server.close();
});
const good = JSON.stringify({ model: MODEL_ID, messages: [{ role: 'user', content: 'hi' }], max_tokens: 2 });

/** One raw request (node:http lets a test set Host and Origin). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d;
      });
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('a text/plain (or form) POST is refused with 415; application/json with a charset is fine', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
    const r = await raw(stack.server.url, 'POST', '/v1/chat/completions', { 'content-type': type }, good);
    assert.equal(r.status, 415, `${type}: ${r.text}`);
    assert.equal(JSON.parse(r.text).error.code, 'unsupported_media_type');
  }
  const none = await raw(stack.server.url, 'POST', '/v1/chat/completions', {}, good);
  assert.equal(none.status, 415);
  const ok = await raw(
    stack.server.url,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json; charset=utf-8' },
    good,
  );
  assert.equal(ok.status, 200, ok.text);
});

test('the Host header must be the bound address, a loopback name, or an --allowed-hosts entry', async () => {
  const port = new URL(stack.server.url).port;
  for (const host of ['evil.example', `evil.example:${port}`, `attacker.127.0.0.1.nip.io:${port}`]) {
    const r = await raw(stack.server.url, 'GET', '/v1/models', { host });
    assert.equal(r.status, 403, `${host}: ${r.text}`);
    assert.equal(JSON.parse(r.text).error.code, 'host_not_allowed');
    assert.match(JSON.parse(r.text).error.message, /--allowed-hosts/);
  }
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'chat.lan', `chat.lan:${port}`]) {
    const r = await raw(stack.server.url, 'GET', '/v1/models', { host });
    assert.equal(r.status, 200, `${host}: ${r.text}`);
  }
});

test('CORS is off by default: no Access-Control headers, a foreign Origin is refused', async () => {
  const pre = await raw(stack.server.url, 'OPTIONS', '/v1/chat/completions', {
    origin: 'http://evil.example',
    'access-control-request-method': 'POST',
  });
  assert.equal(pre.headers['access-control-allow-origin'], undefined);
  const r = await raw(
    stack.server.url,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json', origin: 'http://evil.example' },
    good,
  );
  assert.equal(r.status, 403, r.text);
  assert.equal(JSON.parse(r.text).error.code, 'origin_not_allowed');
  assert.equal(r.headers['access-control-allow-origin'], undefined);
  // the web page's own origin is the server's
  const own = await raw(
    stack.server.url,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json', origin: stack.server.url },
    good,
  );
  assert.equal(own.status, 200, own.text);
});

test('--cors <origin> answers the preflight and tags responses for that origin only', async () => {
  const pre = await raw(cors.server.url, 'OPTIONS', '/v1/chat/completions', {
    origin: 'http://app.example',
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'authorization, content-type',
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'http://app.example');
  assert.match(String(pre.headers['access-control-allow-headers']), /authorization/i);
  const r = await raw(
    cors.server.url,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json', origin: 'http://app.example' },
    good,
  );
  assert.equal(r.status, 200, r.text);
  assert.equal(r.headers['access-control-allow-origin'], 'http://app.example');
  const other = await raw(
    cors.server.url,
    'POST',
    '/v1/chat/completions',
    { 'content-type': 'application/json', origin: 'http://evil.example' },
    good,
  );
  assert.equal(other.status, 403);
});

test('start and serve share the key / host / CORS options; start honours DEEPSEEK_TS_API_KEY', async () => {
  const program = new Command();
  for (const register of COMMANDS) register(program);
  const shared = (name: string) =>
    program.commands
      .find((c) => c.name() === name)!
      .options.filter((o) =>
        /^--(api-key|allowed-hosts|cors|host|port|max-queue|request-timeout|max-body-bytes)\b/.test(o.long ?? ''),
      )
      .map((o) => ({ flags: o.flags, description: o.description, default: o.defaultValue }));
  assert.equal(shared('serve').length, 8);
  assert.deepEqual(shared('start'), shared('serve'));

  const dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-start-key-'));
  const t = trainTokenizer(['hello there'], { vocabSize: 300 });
  saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
  const config = tinyConfig({ vocab_size: 320, max_position_embeddings: 64 });
  const e = new Engine(createReferenceBackend());
  const params = initParams(e, config, new Rng(3));
  await saveCheckpoint(dir, config, params);
  disposeParams(params);
  e.backend.dispose();
  const child = spawn(process.execPath, [MAIN, 'start', '--model', dir, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DEEPSEEK_TS_API_KEY: 'sekret' },
  });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d;
        const m = /web chat:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) resolve(m[1]!);
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d;
      });
      child.on('exit', (code) => reject(new Error(`start exited with ${code}: ${out}`)));
    });
    assert.equal((await fetch(`${url}/v1/models`)).status, 401);
    const ok = await fetch(`${url}/v1/models`, { headers: { authorization: 'Bearer sekret' } });
    assert.equal(ok.status, 200);
    assert.match(out, /API key required/);
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
