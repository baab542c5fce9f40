/**
 * Backend construction. Backends are made explicitly and passed to an Engine; nothing registers
 * itself globally. `createReferenceBackend` needs no WASM threads; the WASM SIMD backend lives in
 * src/kernels/wasm/ and is picked by `createBackend({ kind: 'auto' })` when the runtime allows it.
 */
import type { Backend } from './backend.js';
import { ReferenceBackend } from './reference.js';

export type { Backend } from './backend.js';
export { ReferenceBackend } from './reference.js';

/** The plain-loop backend on its own (non-shared) memory. */
export function createReferenceBackend(initialBytes = 1 << 20): Backend {
  const memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / 65536), maximum: 65536 });
  return new ReferenceBackend(memory, 64);
}
