/**
 * One generation engine: incremental decoding (a model's KV / latent cache, its `step` and
 * `stepRows`, MTP drafting, driving a CausalLM's slots) happens only in src/inference/, where the
 * Scheduler and the adapters live. Everything else that generates (rollouts, eval, sampling for
 * rejection and distillation, bench decode, export --verify) goes through the Scheduler. The one
 * exception is the golden check of the model's own cached step against DeepSeek's code.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url)); // from dist/test/inference/
const SRC = join(ROOT, 'src');

/** Calls that only a decode loop makes. */
const DECODE_CALLS: readonly [string, RegExp][] = [
  ['a model cache', /\.createCache\(/],
  ['a cached model step', /\.step\(\s*\w*[cC]ache\b/],
  ['a packed cached step', /\.stepRows\(/],
  ['an MTP draft', /(?<!function )\bmtpDraft\(/],
  ['a CausalLM slot', /\.(allocSlot|fork)\(\s*\w*\s*\)/],
  ['a CausalLM forward over rows', /\.forward\(\s*\[\s*\{\s*slot\b/],
];

/** Files allowed outside src/inference/, each with its reason. */
const ALLOWED = new Map([
  ['src/models/deepseek-v3/check-reference.ts', "the golden check of the model's cached step itself"],
]);

/** `name: line` for each decode call in `source`. */
function decodeCalls(source: string): string[] {
  const hits: string[] = [];
  source.split('\n').forEach((line, i) => {
    if (/^\s*(\*|\/\/)/.test(line)) return; // comments
    for (const [what, re] of DECODE_CALLS) if (re.test(line)) hits.push(`${what} at line ${i + 1}: ${line.trim()}`);
  });
  return hits;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? tsFiles(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : [],
  );
}

test('the scan finds a decode loop: the rollout loop this project used to have, and the Scheduler itself', () => {
  const oldRollout = [
    '  const cache = model.createCache(slots + 1, maxLen);',
    '  const out = model.stepRows(cache, [...rows, { slot: anchor, tokens: [0] }]);',
    '  for (let i = 1; i < N; i++) next = greedy(model.step(cache, engine.tensor(ids, [B, 1], "i32")));',
  ].join('\n');
  assert.equal(decodeCalls(oldRollout).length, 3);
  assert.ok(decodeCalls(readFileSync(join(SRC, 'inference', 'scheduler.ts'), 'utf8')).length > 0);
});

test('decode step loops live only in src/inference/', () => {
  const found: string[] = [];
  for (const file of tsFiles(SRC)) {
    const rel = relative(ROOT, file).split('\\').join('/');
    if (rel.startsWith('src/inference/') || ALLOWED.has(rel)) continue;
    for (const hit of decodeCalls(readFileSync(file, 'utf8'))) found.push(`${rel}: ${hit}`);
  }
  assert.deepEqual(found, [], 'generate through src/inference (Scheduler + CausalLM adapters) instead');
});
