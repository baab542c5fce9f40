/**
 * The backends every conformance-style test runs on (the shared `*.case` pattern): the pure-TS
 * reference and the WASM SIMD backend with 1 and 2 threads. Each gets its own Engine.
 */
import { after, before, describe } from 'node:test';
import type { Backend } from '../../src/kernels/backend.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { Engine } from '../../src/tensor/index.js';

interface BackendSpec {
  name: string;
  create: () => Promise<Backend>;
}

async function wasm(threads: number): Promise<Backend> {
  const mod = await import('../../src/kernels/wasm/index.js');
  return mod.createWasmBackend({ threads });
}

export const BACKENDS: BackendSpec[] =
  process.env.DSTS_TEST_BACKENDS === 'reference'
    ? [{ name: 'reference', create: async () => createReferenceBackend() }]
    : [
        { name: 'reference', create: async () => createReferenceBackend() },
        { name: 'wasm 1 thread', create: () => wasm(1) },
        { name: 'wasm 2 threads', create: () => wasm(2) },
      ];

/** Declares `body`'s tests once per backend, inside a describe block named after it. */
export function forEachBackend(body: (name: string, engine: () => Engine) => void, only?: string[]): void {
  for (const spec of BACKENDS) {
    if (only && !only.includes(spec.name)) continue;
    describe(spec.name, () => {
      let e: Engine | undefined;
      before(async () => {
        e = new Engine(await spec.create());
      });
      after(() => e?.backend.dispose());
      body(spec.name, () => e!);
    });
  }
}
