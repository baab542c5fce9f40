/**
 * `deepseek-ts bench gemm [--json] [--threads N]`: FP32 GEMM GFLOPS of the WASM kernels at the
 * issue's shapes on 1 and 2 threads, with the ratio to the 2-core peak, plus dispatch_us (the
 * tensor-level cost of a 64-element add: allocation, checks, kernel, free; src/bench/dispatch.ts).
 * JSON shape:
 * {"results":[{"m":512,"n":512,"k":512,"threads":2,"gflops":71.2,"peak_ratio":0.45}],"dispatch_us":1.8}.
 */
import type { Command } from 'commander';
import { measureDispatch } from '../../bench/dispatch.js';
import { measureBackendDispatchUs, runGemmBench } from '../../bench/gemm.js';
import { createWasmBackend } from '../../kernels/wasm/index.js';
import { Engine } from '../../tensor/index.js';
import { intOption } from '../options.js';
import { registerModelBenches } from './bench-model.js';

export function register(program: Command): void {
  const bench = program.command('bench').description('benchmarks of the engine (see docs/benchmarks.md)');
  registerModelBenches(bench);
  bench.command('gemm')
    .description('FP32 GEMM GFLOPS at 512^3, 1024^3, 64x512x2048, 2048x256x256 on 1 and 2 threads')
    .option('--json', 'print {"results":[...],"dispatch_us":...} instead of a table')
    .option('--threads <n>', 'measure only this thread count (default: 1 and 2)', intOption('--threads'))
    .option('--rounds <n>', 'timed rounds per shape, best reported', intOption('--rounds'), 5)
    .action(async (opts: { json?: boolean; threads?: number; rounds: number }) => {
      if (opts.threads === 0) throw new Error('--threads must be at least 1, got 0');
      if (opts.rounds < 1) throw new Error(`--rounds must be at least 1, got ${opts.rounds}`);
      const results = await runGemmBench({ threads: opts.threads ? [opts.threads] : [1, 2], rounds: opts.rounds });
      const dispatch = await measureBackendDispatchUs();
      const be = await createWasmBackend({});
      let dispatchUs: number;
      try {
        dispatchUs = measureDispatch(new Engine(be)).find((d) => d.op === 'add(64, 64)')!.us;
      } finally {
        be.dispose();
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ results, dispatch_us: Math.round(dispatchUs * 1000) / 1000 })}\n`);
        return;
      }
      const lines = [`GEMM FP32, ${dispatch.backend}, best of ${opts.rounds} rounds; peak 157 GFLOPS (2 cores)`,
        '     M      N      K  threads   GFLOPS  peak_ratio'];
      for (const r of results) {
        lines.push(`${String(r.m).padStart(6)} ${String(r.n).padStart(6)} ${String(r.k).padStart(6)} ` +
          `${String(r.threads).padStart(8)} ${r.gflops.toFixed(1).padStart(8)}  ${r.peak_ratio.toFixed(3).padStart(10)}`);
      }
      lines.push(`dispatch: ${dispatchUs.toFixed(2)} us per add of two 64-element tensors (tensor level); ` +
        `${dispatch.us} us per 64-element kernel call (backend level)`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
