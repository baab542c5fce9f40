#!/usr/bin/env node
// Compiles the AssemblyScript kernels (assembly/) into two WASM builds with the locally installed
// asc (no network): dist/wasm/kernels-relaxed.wasm (relaxed-SIMD FMA) and dist/wasm/kernels-simd.wasm
// (plain SIMD fallback). Flags per shared/DESIGN.md section 2: shared imported memory, threads, stub
// runtime. Files are written to a temp name and renamed, so a failed build never leaves half a file.
import asc from 'assemblyscript/asc';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';

const OUT_DIR = 'dist/wasm';
const COMMON = ['assembly/index.ts', '-O3', '--noAssert', '--runtime', 'stub', '--enable', 'simd',
  '--enable', 'threads', '--importMemory', '--sharedMemory', '--initialMemory', '16',
  '--maximumMemory', '65536'];
const BUILDS = [
  { file: 'kernels-relaxed.wasm', extra: ['--enable', 'relaxed-simd'] },
  { file: 'kernels-simd.wasm', extra: [] },
];

mkdirSync(OUT_DIR, { recursive: true });
for (const build of BUILDS) {
  let wasm;
  const { error, stderr } = await asc.main([...COMMON, ...build.extra, '--outFile', 'out.wasm'], {
    writeFile(name, contents) { if (name.endsWith('.wasm')) wasm = contents; },
  });
  if (error) {
    process.stderr.write(stderr.toString());
    process.stderr.write(`build-kernels: ${build.file} failed: ${error.message}\n`);
    process.exit(1);
  }
  if (!wasm) { process.stderr.write(`build-kernels: asc produced no wasm for ${build.file}\n`); process.exit(1); }
  const dest = `${OUT_DIR}/${build.file}`;
  writeFileSync(`${dest}.tmp`, wasm);
  renameSync(`${dest}.tmp`, dest);
}
