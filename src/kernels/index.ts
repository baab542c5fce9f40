/**
 * Backend construction. Backends are made explicitly and passed to an Engine; nothing registers
 * itself globally. `createBackend({ kind: 'auto' })` picks the WASM SIMD backend (relaxed-SIMD FMA
 * build where the runtime allows, plain SIMD otherwise) and falls back to the pure-TS reference
 * backend only where WebAssembly threads are unavailable.
 */
import { availableParallelism } from 'node:os';
import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';
import { createWasmBackend } from './wasm/index.js';

export type { Backend } from './backend.js';
export { ReferenceBackend } from './reference.js';

export type BackendKind = 'auto' | 'wasm' | 'reference';

export interface BackendOptions {
  kind?: BackendKind;
  /** Worker threads including the main one (default: all cores). */
  threads?: number;
}

/** The plain-loop backend on its own (non-shared) memory. */
export function createReferenceBackend(initialBytes = 1 << 20): Backend {
  const memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / 65536), maximum: 65536 });
  return new ReferenceBackend(memory, 64);
}

/** True where shared WebAssembly memory (threads) can be created. */
export function wasmThreadsAvailable(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object';
  } catch {
    return false;
  }
}

/** Creates the requested backend; 'auto' prefers WASM and falls back to the reference loops where WASM threads or SIMD are unavailable. */
export async function createBackend(opts: BackendOptions = {}): Promise<Backend> {
  const kind = opts.kind ?? 'auto';
  const threads = opts.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer, got ${threads}`);
  if (kind === 'reference') return createReferenceBackend();
  if (kind === 'wasm') return createWasmBackend({ threads });
  if (!wasmThreadsAvailable()) return createReferenceBackend();
  try {
    return await createWasmBackend({ threads });
  } catch {
    // No WASM SIMD in this runtime (or the kernel build is missing): the reference loops still work;
    // the backend's name ('reference') tells callers which one they got.
    return createReferenceBackend();
  }
}
