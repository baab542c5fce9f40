/**
 * Loading the AssemblyScript kernels: compiles the relaxed-SIMD build (FMA) when the runtime accepts
 * it, else the plain-SIMD build, creates the shared memory, instantiates the module on the main
 * thread and starts the worker pool. Node 20 only validates relaxed-SIMD opcodes after
 * `--experimental-wasm-relaxed-simd` is set, which must happen before compiling (shared/DESIGN.md 2);
 * Node 22 and 24 accept them as standard, and Node 24 no longer knows the flag, so it is set only
 * where the module does not validate without it.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { computeLayout, MAX_THREADS, PAGE, SCRATCH_PER_THREAD, type Layout } from './layout.js';
import { ThreadPool } from './pool.js';

export type SimdChoice = 'auto' | 'relaxed' | 'plain';

export interface KernelModule {
  module: WebAssembly.Module;
  /** 'wasm-relaxed-simd' or 'wasm-simd'. */
  name: string;
}

export interface KernelExports {
  staticEnd(): number;
  setup(ctrl: number, scratch: number, stride: number): void;
  relaxed(): number;
  run(kernel: number, tid: number, nt: number): void;
}

function wasmBytes(file: string): Uint8Array<ArrayBuffer> {
  const url = new URL(`../../../wasm/${file}`, import.meta.url);
  try {
    return new Uint8Array(readFileSync(url));
  } catch (err) {
    throw new Error(
      `kernels: cannot read ${url.pathname} (${(err as Error).message}); ` +
        'run `npm run build:kernels` to compile assembly/',
    );
  }
}

/** Compiles the kernel module for the requested SIMD flavour ('auto': relaxed, else plain). */
export function compileKernels(simd: SimdChoice): KernelModule {
  if (simd !== 'plain') {
    try {
      const bytes = wasmBytes('kernels-relaxed.wasm');
      // Relaxed SIMD is standard from V8 11.4 (Node 22); Node 20 validates it only behind the flag,
      // which later V8s dropped (setting it there prints "unrecognized flag"), so set it only on need.
      if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
      return { module: new WebAssembly.Module(bytes), name: 'wasm-relaxed-simd' };
    } catch (err) {
      if (simd === 'relaxed') {
        throw new Error(
          `kernels: simd 'relaxed' requested but this runtime rejects relaxed-SIMD: ${(err as Error).message}`,
        );
      }
    }
  }
  return { module: new WebAssembly.Module(wasmBytes('kernels-simd.wasm')), name: 'wasm-simd' };
}

export interface LoadedKernels {
  name: string;
  memory: WebAssembly.Memory;
  layout: Layout;
  exports: KernelExports;
  pool: ThreadPool;
  threads: number;
}

/** Compiles, instantiates on a fresh shared memory and starts `threads - 1` workers. */
export async function loadKernels(opts: {
  threads?: number;
  simd?: SimdChoice;
  initialBytes?: number;
}): Promise<LoadedKernels> {
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`kernels: threads must be an integer in 1..${MAX_THREADS}, got ${String(opts.threads)}`);
  }
  const { module, name } = compileKernels(opts.simd ?? 'auto');
  // The static data is tiny; size the initial memory after instantiating once on a probe memory.
  const probe = new WebAssembly.Memory({ initial: 16, maximum: 65536, shared: true });
  const staticEnd = (
    new WebAssembly.Instance(module, { env: { memory: probe } }).exports as unknown as KernelExports
  ).staticEnd();
  const layout = computeLayout(staticEnd, threads);
  const initial = Math.ceil(Math.max(layout.heapBase + (opts.initialBytes ?? 1 << 20), 16 * PAGE) / PAGE);
  const memory = new WebAssembly.Memory({ initial, maximum: 65536, shared: true });
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
  exports.setup(layout.ctrlBase, layout.scratchBase, SCRATCH_PER_THREAD);
  const pool = await ThreadPool.start(module, memory, layout, threads, exports.run);
  return { name, memory, layout, exports, pool, threads };
}
