/**
 * Conformance harness: runs one kernel call on the reference backend (the oracle) and on each WASM
 * variant (relaxed-SIMD and plain SIMD, 1 and 2 threads; the 2-thread ones split every call, however
 * small), with the same seeded inputs, and compares every output buffer. Inputs are laid out by a
 * bump arena from heapBase, so pointers differ per backend but the data is identical.
 */
import assert from 'node:assert/strict';
import type { Backend } from '../../src/kernels/backend.js';
import { ReferenceBackend } from '../../src/kernels/reference.js';
import { createWasmBackend, type WasmBackend } from '../../src/kernels/wasm/index.js';

export interface Variant {
  label: string;
  backend: Backend;
}

/** Starts the four WASM variants plus a reference backend on its own memory. */
export async function startBackends(): Promise<{ ref: Backend; variants: Variant[]; dispose(): void }> {
  const variants: Variant[] = [];
  for (const simd of ['relaxed', 'plain'] as const) {
    for (const threads of [1, 2]) {
      const be: WasmBackend = await createWasmBackend({ simd, threads, minParallel: 1 });
      variants.push({ label: `${be.name}/${threads}t`, backend: be });
    }
  }
  const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536 });
  const ref = new ReferenceBackend(memory, 64);
  return {
    ref,
    variants,
    dispose: () => {
      for (const v of variants) v.backend.dispose();
    },
  };
}

/** Seeded uniform numbers (mulberry32), the same stream for every backend. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Bump allocation of float32 / int32 buffers in a backend's memory. */
export class Arena {
  private top: number;
  constructor(readonly be: Backend) {
    this.top = Math.ceil(be.heapBase / 64) * 64;
  }

  private take(n: number): number {
    const ptr = this.top;
    this.top += Math.ceil((Math.max(n, 1) * 4) / 64) * 64 + 64;
    this.be.ensureMemory(this.top);
    return ptr;
  }

  /** Float32 buffer with values from gen(i) (uniform in [-1, 1) by default). */
  floats(n: number, r: () => number, gen?: (i: number) => number): number {
    const p = this.take(n),
      f = this.be.f32();
    for (let i = 0; i < n; i++) f[(p >>> 2) + i] = gen ? gen(i) : r() * 2 - 1;
    return p;
  }

  ints(values: ArrayLike<number>): number {
    const p = this.take(values.length),
      v = this.be.i32();
    for (let i = 0; i < values.length; i++) v[(p >>> 2) + i] = values[i]!;
    return p;
  }
}

export interface Out {
  ptr: number;
  n: number;
  int?: boolean;
}

/** A kernel call: builds its inputs in the arena, calls the backend, returns the buffers to compare. */
export type Case = (be: Backend, arena: Arena, r: () => number) => Out[];

function read(be: Backend, o: Out): number[] {
  const view = o.int ? be.i32() : be.f32();
  return Array.from(view.subarray(o.ptr >>> 2, (o.ptr >>> 2) + o.n));
}

/**
 * Runs `c` on the reference and on every variant; float outputs must agree within
 * |got - want| <= tol * (|want| + rms(want)) (NaN matches NaN, infinities must match exactly).
 */
export function check(name: string, ref: Backend, variants: Variant[], c: Case, tol = 1e-5, seed = 1): void {
  const want = c(ref, new Arena(ref), rng(seed)).map((o) => ({ o, v: read(ref, o) }));
  for (const { label, backend } of variants) {
    const got = c(backend, new Arena(backend), rng(seed));
    assert.equal(got.length, want.length);
    got.forEach((o, k) => compare(`${name} [${label}] output ${k}`, read(backend, o), want[k]!.v, tol, !!o.int));
  }
}

function compare(what: string, got: number[], want: number[], tol: number, exact: boolean): void {
  assert.equal(got.length, want.length, `${what}: length`);
  let ss = 0,
    cnt = 0;
  for (const w of want)
    if (Number.isFinite(w)) {
      ss += w * w;
      cnt++;
    }
  const rms = cnt ? Math.sqrt(ss / cnt) : 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i]!,
      w = want[i]!;
    if (exact || !Number.isFinite(w)) {
      if (!(Object.is(g, w) || g === w)) assert.fail(`${what}: element ${i} is ${g}, expected ${w}`);
      continue;
    }
    if (!(Math.abs(g - w) <= tol * (Math.abs(w) + rms))) {
      assert.fail(`${what}: element ${i} is ${g}, expected ${w} (tolerance ${tol}, rms ${rms})`);
    }
  }
}
