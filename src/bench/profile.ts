/**
 * Kernel-level profile of a workload: wraps a Backend so every kernel call is timed (calls are
 * synchronous, so wall time per call is the kernel's time including thread hand-off), grouped by
 * kernel name. Time outside kernels is the TypeScript layer (shapes, allocation, autograd, JS
 * routing). Used by the benchmarks' --profile option to report where a step's time goes.
 */
import type { Backend } from '../kernels/backend.js';

export interface KernelStat {
  kernel: string;
  calls: number;
  ms: number /** GEMM only: floating-point operations. */;
  flops: number;
}

/**
 * A Backend that forwards to `inner` and times each kernel call, plus the collected stats. With
 * `shapes`, compact-weight products are kept apart by storage type and weight shape
 * ("quantMatmul type 8 n=8960 k=1536"), so a model's projections can be told apart.
 */
export function profiledBackend(
  inner: Backend,
  opts: { shapes?: boolean } = {},
): { backend: Backend; stats: () => KernelStat[]; reset: () => void } {
  const table = new Map<string, KernelStat>();
  const untimed = new Set(['f32', 'i32', 'ensureMemory', 'dispose', 'memory', 'name', 'threads', 'heapBase']);
  const backend = new Proxy(inner, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || typeof prop !== 'string' || untimed.has(prop))
        return typeof v === 'function' ? v.bind(target) : v;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const r = (v as (...a: unknown[]) => unknown).apply(target, args);
        let key = prop;
        if (opts.shapes && prop === 'quantMatmul') {
          const q = args[0] as { type: number; n: number; k: number };
          key = `${prop} type ${q.type} n=${q.n} k=${q.k}`;
        }
        const s = table.get(key) ?? { kernel: key, calls: 0, ms: 0, flops: 0 };
        s.calls++;
        s.ms += performance.now() - t0;
        if (prop === 'gemm') {
          const g = args[0] as { batch: number; m: number; n: number; k: number };
          s.flops += 2 * g.batch * g.m * g.n * g.k;
        }
        table.set(key, s);
        return r;
      };
    },
  });
  return { backend, stats: () => [...table.values()].sort((a, b) => b.ms - a.ms), reset: () => table.clear() };
}
