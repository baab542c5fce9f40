/**
 * The FP32 SIMD peak of this machine and runtime, measured in the same run as the benchmark that
 * divides by it (MFU of `bench train`, peak_ratio of `bench gemm`): assembly/peak.ts's FMA-bound
 * loop (12 independent f32x4 multiply-add chains, no memory traffic) on `threads` worker threads at
 * once, best of several rounds. It is the ceiling of 4-lane WASM SIMD, the instruction set the
 * kernels use; native 8-lane AVX2 code can reach up to twice it, and machine clocks vary (one
 * constant for "the 2-core peak" was 4x off on machines of the same kind).
 */
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';

export interface PeakResult {
  threads: number;
  /** Aggregate GFLOPS of `threads` threads running the loop together. */
  gflops: number;
  /** Which build ran: 'relaxed' (fused multiply-add) or 'plain' (multiply, then add). */
  simd: 'relaxed' | 'plain';
}

export interface PeakOptions {
  /** Timed rounds; the best is reported (default 5). */
  rounds?: number;
  /** Seconds per round (default 0.15). */
  roundSeconds?: number;
  /** 'auto' (relaxed when the runtime has it), 'relaxed' or 'plain' (default 'auto'). */
  simd?: 'auto' | 'relaxed' | 'plain';
}

/** FLOPs of one iteration of assembly/peak.ts's loop (its FLOPS_PER_ITER). */
const FLOPS_PER_ITER = 96;

function wasm(file: string): Uint8Array<ArrayBuffer> {
  const url = new URL(`../../wasm/${file}`, import.meta.url);
  try {
    return new Uint8Array(readFileSync(url));
  } catch (err) {
    throw new Error(`peak: cannot read ${url.pathname} (${(err as Error).message}); run \`npm run build:kernels\``);
  }
}

/** The compiled probe: the relaxed-SIMD build where the runtime takes it, else the plain one. */
export function compilePeakProbe(simd: PeakOptions['simd'] = 'auto'): {
  module: WebAssembly.Module;
  simd: 'relaxed' | 'plain';
} {
  if (simd !== 'plain') {
    const bytes = wasm('peak-relaxed.wasm');
    // Node 20 validates relaxed SIMD only behind this flag; later runtimes have it as standard.
    if (!WebAssembly.validate(bytes)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (WebAssembly.validate(bytes)) return { module: new WebAssembly.Module(bytes), simd: 'relaxed' };
    if (simd === 'relaxed') throw new Error('peak: simd relaxed requested but this runtime rejects relaxed SIMD');
  }
  return { module: new WebAssembly.Module(wasm('peak-simd.wasm')), simd: 'plain' };
}

// The worker: instantiates the probe, warms it up (so the optimising tier runs), then runs the loop
// `iters` times per message and answers with its own seconds.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { fmaLoop } = new WebAssembly.Instance(workerData.module, {}).exports;
for (let i = 0; i < 6; i++) fmaLoop(200000, 1);
parentPort.on('message', (iters) => {
  const t0 = process.hrtime.bigint();
  const sink = fmaLoop(iters, 1);
  parentPort.postMessage({ seconds: Number(process.hrtime.bigint() - t0) / 1e9, sink });
});
parentPort.postMessage('ready');
`;

/** Measures the aggregate peak of `threads` threads running the probe together. */
export async function measurePeak(threads: number, opts: PeakOptions = {}): Promise<PeakResult> {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`peak: threads must be >= 1, got ${threads}`);
  const { module, simd } = compilePeakProbe(opts.simd);
  const rounds = opts.rounds ?? 5,
    seconds = opts.roundSeconds ?? 0.15;
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { eval: true, workerData: { module } }));
  const next = (w: Worker) =>
    new Promise<{ seconds: number } | 'ready'>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    });
  try {
    await Promise.all(workers.map(next));
    // Calibrate on one thread, then time all threads together.
    let iters = 1_000_000;
    for (;;) {
      const first = next(workers[0]!);
      workers[0]!.postMessage(iters);
      const r = (await first) as { seconds: number };
      if (r.seconds >= seconds / 4) {
        iters = Math.max(1, Math.round((iters * seconds) / r.seconds));
        break;
      }
      iters *= 4;
    }
    let best = 0;
    for (let r = 0; r < rounds; r++) {
      const done = workers.map(next);
      const t0 = process.hrtime.bigint();
      for (const w of workers) w.postMessage(iters);
      await Promise.all(done);
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      best = Math.max(best, (threads * iters * FLOPS_PER_ITER) / wall / 1e9);
    }
    return { threads, gflops: Math.round(best * 10) / 10, simd };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
