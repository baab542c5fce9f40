/**
 * The `deepseek-ts` command as a user runs it: `--help` lists the commands, `info --backend` names
 * the kernel build, and `demo` (the engine learning to reverse digit strings) trains and prints what it learned.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { it } from 'node:test';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const run = (...args: string[]) =>
  execFileSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });

it('--help lists the commands with one line each', () => {
  const out = run('--help');
  for (const cmd of ['demo', 'info']) assert.match(out, new RegExp(`^  ${cmd}\\b.*\\S`, 'm'), `--help lacks ${cmd}`);
});

it('info --backend --json names the kernel build and the thread count', () => {
  const r = JSON.parse(run('info', '--backend', '--json', '--threads', '2')) as Record<string, unknown>;
  assert.ok(
    ['wasm-relaxed-simd', 'wasm-simd', 'reference'].includes(r.backend as string),
    `backend ${String(r.backend)}`,
  );
  assert.equal(r.threads, r.backend === 'reference' ? 1 : 2);
});

it('demo trains the tiny transformer until it reverses unseen digit strings', () => {
  const out = run('demo', '--steps', '300');
  const m = /exact reversals on 50 unseen strings: (\d+)%/.exec(out);
  assert.ok(m, `no accuracy line in:\n${out}`);
  assert.ok(Number(m[1]) >= 90, `accuracy ${m[1]}% after 300 steps`);
});

it('a bad flag value is a clear error naming the flag', () => {
  assert.throws(
    () => execFileSync(process.execPath, [MAIN, 'demo', '--steps', 'many'], { encoding: 'utf8', stdio: 'pipe' }),
    (e: { stderr: string }) => /--steps must be a non-negative integer, got 'many'/.test(e.stderr),
  );
});
