#!/usr/bin/env node
// Runs the compiled test files with node's test runner. Node 20's `--test` takes no globs, so
// this lists dist/test/**/*.test.js itself. `--slow` adds the *.slow.test.js files (tokenizer training, experiment reruns).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const slow = process.argv.includes('--slow');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.js') && (slow || !name.endsWith('.slow.test.js'))) {
      if (only.length === 0 || only.some((o) => p.includes(o))) files.push(p);
    }
  }
}
walk('dist/test');
if (files.length === 0) {
  console.error('run-tests: no test files found under dist/test (did the build run?)');
  process.exit(1);
}
const r = spawnSync(process.execPath, ['--test', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
