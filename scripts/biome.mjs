#!/usr/bin/env node
// Runs the pinned Biome (`npm run lint`, `npm run format`), or says how to install it: Biome is one of
// the tools `npm run tools` installs, not a dependency (see scripts/install-tools.mjs).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let bin;
try {
  bin = require.resolve('@biomejs/biome/bin/biome');
} catch {
  console.error('biome is not installed: run `npm run tools` (installs the pinned Biome and node-llama-cpp)');
  process.exit(1);
}
const r = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit' });
process.exit(r.status ?? 1);
