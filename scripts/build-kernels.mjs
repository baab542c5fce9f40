#!/usr/bin/env node
// Compiles the AssemblyScript kernels (assembly/) into two WASM builds with the locally installed
// asc (no network): dist/wasm/kernels-relaxed.wasm (relaxed-SIMD FMA) and dist/wasm/kernels-simd.wasm
// (plain SIMD fallback). Flags per shared/DESIGN.md section 2: shared imported memory, threads, stub
// runtime. Also the peak probe (assembly/peak.ts, no memory) in the same two flavours. The builds
// compile in parallel worker threads; each file is written to a temp name and renamed, so a failed
// build never leaves half a file.
import asc from 'assemblyscript/asc';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const OUT_DIR = 'dist/wasm';
const KERNELS = [
  'assembly/index.ts',
  '-O3',
  '--noAssert',
  '--runtime',
  'stub',
  '--enable',
  'simd',
  '--enable',
  'threads',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '16',
  '--maximumMemory',
  '65536',
];
const PEAK = ['assembly/peak.ts', '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd'];
const BUILDS = [
  { file: 'kernels-relaxed.wasm', args: [...KERNELS, '--enable', 'relaxed-simd'] },
  { file: 'kernels-simd.wasm', args: KERNELS },
  { file: 'peak-relaxed.wasm', args: [...PEAK, '--enable', 'relaxed-simd'] },
  { file: 'peak-simd.wasm', args: PEAK },
];

async function compile(build) {
  let wasm;
  const { error, stderr } = await asc.main([...build.args, '--outFile', 'out.wasm'], {
    writeFile(name, contents) {
      if (name.endsWith('.wasm')) wasm = contents;
    },
  });
  if (error) return `${stderr.toString()}build-kernels: ${build.file} failed: ${error.message}`;
  if (!wasm) return `build-kernels: asc produced no wasm for ${build.file}`;
  const dest = `${OUT_DIR}/${build.file}`;
  writeFileSync(`${dest}.tmp`, wasm);
  renameSync(`${dest}.tmp`, dest);
  return null;
}

if (isMainThread) {
  mkdirSync(OUT_DIR, { recursive: true });
  const errors = await Promise.all(
    BUILDS.map(
      (build) =>
        new Promise((resolve) => {
          const w = new Worker(new URL(import.meta.url), { workerData: build });
          w.once('message', resolve);
          w.once('error', (err) => resolve(`build-kernels: ${build.file} failed: ${err.message}`));
        }),
    ),
  );
  const failed = errors.filter((e) => e !== null);
  if (failed.length > 0) {
    process.stderr.write(`${failed.join('\n')}\n`);
    process.exit(1);
  }
} else {
  parentPort.postMessage(await compile(workerData));
}
