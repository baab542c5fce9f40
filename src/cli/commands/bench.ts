/**
 * `deepseek-ts bench gemm [--json] [--threads N]`: FP32 GEMM GFLOPS of the WASM kernels at the
 * issue's shapes on 1 and 2 threads, with the ratio to the WASM SIMD peak measured in the same run,
 * plus dispatch_us (the tensor-level cost of a 64-element add: allocation, checks, kernel, free; src/bench/dispatch.ts).
 * JSON shape:
 * {"results":[{"m":512,"n":512,"k":512,"threads":2,"gflops":71.2,"peak_gflops":98.1,"peak_ratio":0.726}],"dispatch_us":1.8}.
 */
import type { Command } from 'commander';
import { measureDispatch } from '../../bench/dispatch.js';
import { measureBackendDispatchUs, runGemmBench } from '../../bench/gemm.js';
import { createWasmBackend } from '../../kernels/wasm/index.js';
import { Engine } from '../../tensor/index.js';
import { intOption } from '../options.js';
import { registerModelBenches } from './bench-model.js';
import { benchServe } from '../../bench/serve.js';

export function register(program: Command): void {
  const bench = program.command('bench').description('benchmarks of the engine (see docs/benchmarks.md)');
  registerModelBenches(bench);
  bench
    .command('serve')
    .description(
      'serving: time to first token, single-stream and 1/4/16-client aggregate tokens/s over loopback HTTP, MTP speculation',
    )
    .option('--model <dir>', 'model folder (default: bench-small with seeded random weights)')
    .option(
      '--clients <list>',
      'concurrent client counts',
      (v: string) => v.split(',').map((x) => intOption('--clients')(x)),
      [1, 4, 16],
    )
    .option('--max-tokens <n>', 'tokens per reply', intOption('--max-tokens'), 64)
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .option('--json', 'print the result as JSON')
    .action(async (o: { model?: string; clients: number[]; maxTokens: number; threads?: number; json?: boolean }) => {
      const r = await benchServe({
        ...(o.model ? { model: o.model } : {}),
        clients: o.clients,
        maxTokens: o.maxTokens,
        ...(o.threads ? { threads: o.threads } : {}),
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r)}\n`);
        return;
      }
      process.stdout.write(
        `${r.model}: single stream ${r.single.decode_tokens_per_s.toFixed(1)} tokens/s, time to first token ${r.single.ttft_ms.toFixed(0)} ms\n`,
      );
      for (const c of r.concurrent)
        process.stdout.write(
          `  ${String(c.clients).padStart(3)} clients  ${c.tokens_per_s.toFixed(1).padStart(8)} tokens/s ` +
            `aggregate  ttft ${c.ttft_ms_mean.toFixed(0)} ms\n`,
        );
      process.stdout.write(`  scaling at the largest client count: ${r.scaling.toFixed(2)}x single-stream\n`);
      if (r.mtp)
        process.stdout.write(
          `  MTP speculation: acceptance ${(r.mtp.acceptance * 100).toFixed(1)}%, speed-up ` +
            `${r.mtp.speedup.toFixed(2)}x, output identical: ${r.mtp.identical}\n`,
        );
    });
  bench
    .command('gemm')
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
      const lines = [
        `GEMM FP32, ${dispatch.backend}, best of ${opts.rounds} rounds; peak = the WASM SIMD FMA loop on as many threads, measured now`,
        '     M      N      K  threads   GFLOPS  peak  peak_ratio',
      ];
      for (const r of results) {
        lines.push(
          `${String(r.m).padStart(6)} ${String(r.n).padStart(6)} ${String(r.k).padStart(6)} ` +
            `${String(r.threads).padStart(8)} ${r.gflops.toFixed(1).padStart(8)} ` +
            `${r.peak_gflops.toFixed(1).padStart(5)}  ${r.peak_ratio.toFixed(3).padStart(10)}`,
        );
      }
      lines.push(
        `dispatch: ${dispatchUs.toFixed(2)} us per add of two 64-element tensors (tensor level); ` +
          `${dispatch.us} us per 64-element kernel call (backend level)`,
      );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
