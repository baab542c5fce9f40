/**
 * `deepseek-ts bench train` and `deepseek-ts bench decode`: DeepSeek-V3 training and greedy
 * decoding throughput (src/bench/train.ts, src/bench/decode.ts) on a config, by default the
 * bench-small preset (shared/bench/bench-small.json). JSON shapes: train {"tokens_per_s","mfu",...},
 * decode {"batch","tokens_per_s",...} (one line per batch size). --profile adds the time per
 * kernel (src/bench/profile.ts), the rest being the TypeScript layer.
 */
import type { Command } from 'commander';
import { benchDecode } from '../../bench/decode.js';
import { benchDecodeModel } from '../../bench/decode-model.js';
import { LOAD_QUANTIZATIONS, type LoadQuantization } from '../../models/qwen2/compact-load.js';
import { profiledBackend, type KernelStat } from '../../bench/profile.js';
import { benchTrain } from '../../bench/train.js';
import { measurePeak } from '../../bench/peak.js';
import { createBackend, type Backend, type BackendKind } from '../../kernels/index.js';
import { resolveConfig } from '../../models/deepseek-v3/presets.js';
import { Engine } from '../../tensor/index.js';
import { intOption } from '../options.js';

interface CommonOptions {
  config: string;
  backend: string;
  threads?: number;
  json?: boolean;
  profile?: boolean;
}

async function setup(o: CommonOptions): Promise<{ backend: Backend; engine: Engine; stats: () => KernelStat[] }> {
  if (!['auto', 'wasm', 'reference'].includes(o.backend))
    throw new Error(`--backend is '${o.backend}'; expected auto, wasm or reference`);
  const inner = await createBackend({ kind: o.backend as BackendKind, threads: o.threads });
  const p = o.profile ? profiledBackend(inner) : { backend: inner, stats: () => [] };
  return { backend: inner, engine: new Engine(p.backend), stats: p.stats };
}

function profileTable(stats: KernelStat[], totalMs: number, what = 'all runs, warm-up included'): string {
  const kernelMs = stats.reduce((s, k) => s + k.ms, 0);
  const rows = stats
    .slice(0, 16)
    .map(
      (k) =>
        `  ${k.kernel.padEnd(38)} ${String(k.calls).padStart(7)} calls ${k.ms.toFixed(0).padStart(7)} ms ` +
        `${((100 * k.ms) / totalMs).toFixed(1).padStart(5)}%` +
        (k.flops ? `  ${(k.flops / k.ms / 1e6).toFixed(1)} GFLOPS` : ''),
    );
  return [
    `profile (${what}): kernels ${kernelMs.toFixed(0)} ms of ${totalMs.toFixed(0)} ` +
      `ms; TS layer ${(totalMs - kernelMs).toFixed(0)} ms`,
    ...rows,
  ].join('\n');
}

function common(c: Command): Command {
  return c
    .option('--config <config>', 'preset, config.json or checkpoint folder', 'bench-small')
    .option('--backend <kind>', 'kernel backend: auto, wasm or reference', 'auto')
    .option('--threads <n>', 'WASM threads (default: all cores)', intOption('--threads'))
    .option('--profile', 'also report time per kernel')
    .option('--json', 'print JSON');
}

/** Adds `train` and `decode` under the `bench` command. */
export function registerModelBenches(bench: Command): void {
  common(bench.command('train').description('DeepSeek-V3 training tokens/s (forward, backward, AdamW) and MFU'))
    .option('--batch <n>', 'sequences per step', intOption('--batch'), 16)
    .option('--seq <n>', 'tokens per sequence', intOption('--seq'), 128)
    .option('--steps <n>', 'timed steps', intOption('--steps'), 5)
    .option('--warmup <n>', 'untimed steps first', intOption('--warmup'), 2)
    .option('--attention <impl>', 'training attention: fused or matmul', 'fused')
    .action(
      async (o: CommonOptions & { batch: number; seq: number; steps: number; warmup: number; attention: string }) => {
        if (o.attention !== 'fused' && o.attention !== 'matmul')
          throw new Error(`--attention is '${o.attention}'; expected fused or matmul`);
        const { config } = await resolveConfig(o.config);
        const { backend, engine, stats } = await setup(o);
        try {
          // The peak MFU divides by: the WASM SIMD ceiling on the same threads, measured now.
          const peak = await measurePeak(backend.threads);
          const t0 = performance.now();
          const r = benchTrain(engine, config, {
            peakFlops: peak.gflops * 1e9,
            batch: o.batch,
            seq: o.seq,
            steps: o.steps,
            warmup: o.warmup,
            attention: o.attention,
          });
          const total = performance.now() - t0;
          if (o.json)
            process.stdout.write(`${JSON.stringify({ ...r, backend: backend.name, threads: backend.threads })}\n`);
          else {
            process.stdout.write(
              `train ${o.config}, batch ${r.batch} x ${r.seq}, ${backend.name} x${backend.threads}: ` +
                `${r.tokens_per_s.toFixed(0)} tokens/s, MFU ${(100 * r.mfu).toFixed(1)}% of the measured ${peak.gflops} GFLOPS WASM SIMD peak ` +
                `(${r.ms_per_step.toFixed(0)} ms/step: forward ${r.ms_forward.toFixed(0)}, backward ` +
                `${r.ms_backward.toFixed(0)}, optimizer ${r.ms_optimizer.toFixed(0)}; loss ${r.final_loss.toFixed(3)})\n`,
            );
          }
          if (o.profile) process.stderr.write(`${profileTable(stats(), total)}\n`);
        } finally {
          backend.dispose();
        }
      },
    );
  common(
    bench
      .command('decode')
      .description(
        'greedy decode tokens/s: DeepSeek-V3 on the absorbed latent cache, or --model a Qwen2/Llama folder or GGUF',
      ),
  )
    .option('--batch <list>', 'batch sizes, comma-separated', '1,16')
    .option('--prompt <n>', 'prompt tokens per sequence', intOption('--prompt'), 32)
    .option('--tokens <n>', 'new tokens per sequence', intOption('--tokens'), 128)
    .option('--model <path>', 'a Qwen2 / Llama HF folder or .gguf file (compact weights) instead of --config')
    .option('--quantize <type>', `with --model: quantize float weights at load (${LOAD_QUANTIZATIONS.join(', ')})`)
    .option('--vs-llama', 'with --model x.gguf: run node-llama-cpp on the same file, prompts and threads; print ratios')
    .action(
      async (
        o: CommonOptions & {
          batch: string;
          prompt: number;
          tokens: number;
          model?: string;
          quantize?: string;
          vsLlama?: boolean;
        },
      ) => {
        const batches = o.batch.split(',').map((b) => Number(b));
        if (batches.some((b) => !Number.isInteger(b) || b < 1))
          throw new Error(`--batch is '${o.batch}'; expected positive integers separated by commas`);
        if (o.model !== undefined) {
          const quantize = o.quantize?.toUpperCase();
          if (quantize !== undefined && !(LOAD_QUANTIZATIONS as readonly string[]).includes(quantize))
            throw new Error(
              `--quantize is '${o.quantize}'; expected one of ${LOAD_QUANTIZATIONS.join(', ').toLowerCase()}`,
            );
          for (const batch of batches) {
            const r = await benchDecodeModel({
              model: o.model,
              batch,
              prompt: o.prompt,
              tokens: o.tokens,
              backend: o.backend as BackendKind,
              ...(o.threads ? { threads: o.threads } : {}),
              ...(quantize ? { quantize: quantize as LoadQuantization } : {}),
              ...(o.vsLlama ? { vsLlama: true } : {}),
              ...(o.profile ? { profile: true } : {}),
            });
            if (r.profile)
              process.stderr.write(`${profileTable(r.profile.stats, r.profile.total_ms, 'the decode steps')}\n`);
            process.stdout.write(
              o.json
                ? `${JSON.stringify(r)}\n`
                : `decode ${r.model} (${r.weights}), batch ${r.batch}, ${r.backend} x${r.threads}: ` +
                    `${r.tokens_per_s.toFixed(2)} tokens/s, prefill ${r.prefill_tokens_per_s.toFixed(1)} tokens/s, ` +
                    `${r.weight_gb_per_s.toFixed(2)} GB/s of weights (probe ${r.bandwidth_probe_gb_per_s.toFixed(2)} ` +
                    `GB/s), RSS ${r.rss_mb} MB (peak ${r.peak_rss_mb} MB)` +
                    (r.llama
                      ? `; llama.cpp ${r.llama.tokens_per_s.toFixed(2)} tokens/s, prefill ` +
                        `${r.llama.prefill_tokens_per_s.toFixed(1)}: ratio ${r.ratio}, prefill ratio ${r.prefill_ratio}`
                      : '') +
                    '\n',
            );
          }
          return;
        }
        const { config } = await resolveConfig(o.config);
        const { backend, engine, stats } = await setup(o);
        try {
          const t0 = performance.now();
          for (const batch of batches) {
            const r = await benchDecode(engine, config, { batch, prompt: o.prompt, tokens: o.tokens });
            process.stdout.write(
              o.json
                ? `${JSON.stringify({ ...r, backend: backend.name, threads: backend.threads })}\n`
                : `decode ${o.config}, batch ${r.batch}, ${backend.name} x${backend.threads}: ` +
                    `${r.tokens_per_s.toFixed(0)} tokens/s (${r.ms_per_step.toFixed(2)} ms/step, prompt ` +
                    `${r.prompt} prefilled in ${r.prefill_ms.toFixed(0)} ms, ${r.new_tokens} new tokens)\n`,
            );
          }
          if (o.profile) process.stderr.write(`${profileTable(stats(), performance.now() - t0)}\n`);
        } finally {
          backend.dispose();
        }
      },
    );
}
