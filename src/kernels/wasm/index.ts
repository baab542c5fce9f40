/**
 * The WASM SIMD backend's public entry: `createWasmBackend({ threads, simd })` compiles the kernels
 * (relaxed-SIMD FMA where the runtime allows, plain SIMD otherwise), starts the worker pool and
 * returns a Backend whose name says which build runs ('wasm-relaxed-simd' or 'wasm-simd').
 */
import { WasmBackend } from './backend.js';
import { loadKernels, type SimdChoice } from './loader.js';

export { WasmBackend } from './backend.js';
export type { SimdChoice } from './loader.js';

export interface WasmBackendOptions {
  /** Threads including the main thread; default os.availableParallelism(). */
  threads?: number;
  /** 'auto' (default) tries relaxed-SIMD then plain SIMD. */
  simd?: SimdChoice;
  /** Heap bytes to map up front (the memory grows on demand). */
  initialBytes?: number;
  /** Elements below which a kernel call runs on the main thread alone (default 65536). */
  minParallel?: number;
}

/** Starts the WASM backend; call dispose() when done (workers never keep the process alive). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  return new WasmBackend(await loadKernels(opts), opts.minParallel);
}
