/**
 * Dispatch overhead of a tiny op through the whole tensor layer: `add` of two 64-element tensors,
 * including the output allocation, shape checks, the kernel call and freeing the result at the end of
 * its scope. Small ops are dispatch-bound (shared/DESIGN.md section 2), so this is the figure that
 * bounds decode speed at small batch. Reported in microseconds per op (median of several runs).
 */
import { add, mul, type Engine } from '../tensor/index.js';

export interface DispatchResult {
  op: string;
  elements: number;
  us: number;
}

/** Median microseconds per op over `rounds` rounds of `iters` ops. */
export function measureDispatch(engine: Engine, iters = 20000, rounds = 7): DispatchResult[] {
  const a = engine.keep(engine.ones([64])),
    b = engine.keep(engine.ones([64]));
  const time = (fn: () => void): number => {
    const samples: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t0 = process.hrtime.bigint();
      engine.scope(() => {
        for (let i = 0; i < iters; i++) engine.scope(fn);
      });
      samples.push(Number(process.hrtime.bigint() - t0) / 1000 / iters);
    }
    samples.sort((x, y) => x - y);
    return samples[Math.floor(rounds / 2)]!;
  };
  const results: DispatchResult[] = [
    {
      op: 'add(64, 64)',
      elements: 64,
      us: time(() => {
        add(a, b);
      }),
    },
    {
      op: 'mul(64, scalar)',
      elements: 64,
      us: time(() => {
        mul(a, 2);
      }),
    },
  ];
  engine.noGrad(() =>
    results.push({
      op: 'add(64, 64) no-grad',
      elements: 64,
      us: time(() => {
        add(a, b);
      }),
    }),
  );
  a.dispose();
  b.dispose();
  return results;
}
