/**
 * Keeps spread-into-arguments out of src/: `a.push(...b)`, `Math.max(...b)`, `String.fromCharCode(...b)`
 * and the like pass every element as a call argument, so an array longer than the engine's argument
 * limit (about 10^5 on V8) throws "Maximum call stack size exceeded". That took down the chat
 * endpoint on a 150k-character message (issue 17, defect 2). Loops or reduce() have no such limit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Calls whose arguments must not be a spread array. */
const PATTERN =
  /\b(?:push|unshift|splice|fromCharCode|fromCodePoint|max|min|hypot|apply)\(\s*(?:[^(){}]*?,\s*)?\.\.\./g;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.(ts|js|mjs)$/.test(name) ? [p] : [];
  });
}

/** `file:line: text` for every call that spreads an array into its arguments. */
export function spreadCalls(text: string, file: string): string[] {
  const hits: string[] = [];
  for (const m of text.matchAll(PATTERN)) {
    const line = text.slice(0, m.index).split('\n').length;
    hits.push(`${file}:${line}: ${text.split('\n')[line - 1]!.trim()}`);
  }
  return hits;
}

test('the scan finds the patterns it is meant to keep out (so it can fail)', () => {
  const bad = [
    'ids.push(...encode(x));',
    'out.push(\n  ...swiglu(a, b),\n);',
    'Math.max(...xs)',
    'Math.min(0, ...xs)',
    'String.fromCharCode(...bytes)',
  ];
  for (const b of bad) assert.equal(spreadCalls(b, 'x.ts').length, 1, b);
  for (const ok of ['const a = [...b];', 'f({ ...o })', 'Math.max(a, b)', 'for (const x of y) out.push(x);'])
    assert.deepEqual(spreadCalls(ok, 'x.ts'), [], ok);
});

test('src/ has no spread-into-arguments call', () => {
  const hits = sources('src').flatMap((f) => spreadCalls(readFileSync(f, 'utf8'), f));
  assert.deepEqual(hits, [], `replace these with a loop (or reduce for max/min):\n${hits.join('\n')}`);
});
