/**
 * `npm start` as a newcomer runs it: the shipped model is served on loopback, the printed URL
 * answers an OpenAI-client question with the thinking in reasoning_content, and the process stops
 * cleanly on SIGTERM. Also: README's commands name real `deepseek-ts` sub-commands.
 */
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';
import OpenAI from 'openai';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MAIN = `${ROOT}dist/src/cli/main.js`;

it('npm start serves the shipped model and answers with reasoning_content', { timeout: 120_000 }, async () => {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['start', '--silent', '--', '--port', '0'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start printed no URL within 60 s:\n${out}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /web chat: (http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    assert.match(out, /curl -s http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
    const client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'unused' });
    const models = await client.models.list();
    const r = await client.chat.completions.create({
      model: models.data[0]!.id,
      messages: [{ role: 'user', content: 'Calculate 47 + 385.' }],
      max_tokens: 160,
      temperature: 0,
    });
    const msg = r.choices[0]!.message as { content: string | null; reasoning_content?: string };
    assert.equal(typeof msg.reasoning_content, 'string');
    assert.ok(msg.reasoning_content!.length > 0, 'the model thought before answering');
    assert.equal(typeof msg.content, 'string');
    assert.ok(['stop', 'length'].includes(r.choices[0]!.finish_reason));
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
});

it("README's deepseek-ts commands are real sub-commands", () => {
  const readme = readFileSync(`${ROOT}README.md`, 'utf8');
  const cmds = new Set<string>();
  for (const m of readme.matchAll(/^\s*(?:\$ )?(?:npx )?deepseek-ts ([a-z][a-z0-9-]*)(?: ([a-z][a-z0-9-]*))?/gm))
    cmds.add(m[2] && ['bench', 'data', 'tokenizer', 'pipeline'].includes(m[1]!) ? `${m[1]} ${m[2]}` : m[1]!);
  assert.ok(cmds.size >= 8, `README names only ${cmds.size} commands`);
  for (const c of cmds) {
    assert.doesNotThrow(
      () => execFileSync(process.execPath, [MAIN, ...c.split(' '), '--help'], { stdio: 'pipe' }),
      `deepseek-ts ${c} --help failed`,
    );
  }
});
