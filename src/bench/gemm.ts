/**
 * `bench gemm`: FP32 GEMM throughput of the WASM backend at the shapes (M,N,K = 512^3,
 * 1024^3, 64x512x2048, 2048x256x256) on 1 and 2 threads, as GFLOPS (2MNK / s, best of several timed
 * rounds, so that a build running on the other core does not hide what the kernel can do) and as a
 * ratio of the WASM SIMD peak at the same thread count, measured in the same run (src/bench/peak.ts:
 * an FMA-bound 4-lane loop; native 8-lane AVX2 can reach up to twice it).
 * Also the backend-level dispatch cost of a 64-element unary op (one inline wasm call).
 */
import { UnaryOp } from '../kernels/backend.js';
import { createWasmBackend, type SimdChoice, type WasmBackend } from '../kernels/wasm/index.js';
import { measurePeak } from './peak.js';

export const GEMM_BENCH_SHAPES: ReadonlyArray<readonly [number, number, number]> = [
  [512, 512, 512],
  [1024, 1024, 1024],
  [64, 512, 2048],
  [2048, 256, 256],
];

export interface GemmBenchOptions {
  /** Thread counts to measure (default [1, 2]). */
  threads?: readonly number[];
  shapes?: ReadonlyArray<readonly [number, number, number]>;
  /** Timed rounds per shape; the best is reported (default 5). */
  rounds?: number;
  /** Minimum seconds per round (default 0.2). */
  roundSeconds?: number;
  simd?: SimdChoice;
}

export interface GemmBenchResult {
  m: number;
  n: number;
  k: number;
  threads: number;
  gflops: number;
  /** The WASM SIMD peak on `threads` threads, measured in this run (GFLOPS). */
  peak_gflops: number;
  /** gflops / peak_gflops. */
  peak_ratio: number;
}

const round = (x: number, d: number): number => Math.round(x * 10 ** d) / 10 ** d;

/** Seconds per call of fn: best over `rounds` rounds of at least `seconds` each. */
function bestSeconds(fn: () => void, rounds: number, seconds: number): number {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    let iters = 0;
    const t0 = process.hrtime.bigint();
    let dt = 0;
    do {
      fn();
      iters++;
      dt = Number(process.hrtime.bigint() - t0) / 1e9;
    } while (dt < seconds);
    best = Math.min(best, dt / iters);
  }
  return best;
}

function fillRandom(be: WasmBackend, ptr: number, n: number, seed: number): void {
  const f = be.f32();
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[(ptr >>> 2) + i] = s / 4294967296 - 0.5;
  }
}

/** Measures every shape at every thread count; one backend (and worker pool) per thread count. */
export async function runGemmBench(opts: GemmBenchOptions = {}): Promise<GemmBenchResult[]> {
  const shapes = opts.shapes ?? GEMM_BENCH_SHAPES;
  const rounds = opts.rounds ?? 5,
    seconds = opts.roundSeconds ?? 0.2;
  const results: GemmBenchResult[] = [];
  for (const threads of opts.threads ?? [1, 2]) {
    const be = await createWasmBackend({ threads, simd: opts.simd });
    try {
      const peak = (await measurePeak(threads, { simd: be.name === 'wasm-relaxed-simd' ? 'relaxed' : 'plain' })).gflops;
      const maxA = shapes.map(([m, , k]) => m * k).reduce((a, b) => Math.max(a, b), -Infinity),
        maxB = shapes.map(([, n, k]) => k * n).reduce((a, b) => Math.max(a, b), -Infinity);
      const maxC = shapes.map(([m, n]) => m * n).reduce((a, b) => Math.max(a, b), -Infinity);
      const a = Math.ceil(be.heapBase / 64) * 64,
        b = a + maxA * 4,
        c = b + maxB * 4;
      be.ensureMemory(c + maxC * 4);
      fillRandom(be, a, maxA, 1);
      fillRandom(be, b, maxB, 2);
      for (const [m, n, k] of shapes) {
        const args = {
          batch: 1,
          m,
          n,
          k,
          a,
          lda: k,
          strideA: 0,
          transA: false,
          b,
          ldb: n,
          strideB: 0,
          transB: false,
          c,
          ldc: n,
          strideC: 0,
          accumulate: false,
        };
        be.gemm(args);
        be.gemm(args);
        const gflops = (2 * m * n * k) / bestSeconds(() => be.gemm(args), rounds, seconds) / 1e9;
        results.push({
          m,
          n,
          k,
          threads,
          gflops: round(gflops, 1),
          peak_gflops: peak,
          peak_ratio: round(gflops / peak, 3),
        });
      }
    } finally {
      be.dispose();
    }
  }
  return results;
}

/**
 * Backend-level dispatch cost in microseconds: one `unary(EXP)` over 64 floats on the main thread
 * (argument slots + one wasm call), median of 7 rounds. The tensor-level figure (allocation, shape
 * checks, tape) is measured by src/bench/dispatch.ts.
 */
export async function measureBackendDispatchUs(simd?: SimdChoice): Promise<{ us: number; backend: string }> {
  const be = await createWasmBackend({ threads: 1, simd });
  try {
    const x = Math.ceil(be.heapBase / 64) * 64,
      out = x + 256,
      iters = 100000;
    fillRandom(be, x, 64, 3);
    const samples: number[] = [];
    for (let r = 0; r < 7; r++) {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < iters; i++) be.unary(UnaryOp.EXP, x, out, 64);
      samples.push(Number(process.hrtime.bigint() - t0) / 1000 / iters);
    }
    samples.sort((p, q) => p - q);
    return { us: round(samples[3]!, 3), backend: be.name };
  } finally {
    be.dispose();
  }
}
