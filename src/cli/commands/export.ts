/**
 * `deepseek-ts export <checkpoint-dir> --format hf|gguf|fp8 --out <dir|file>`: a checkpoint
 * (float or DeepSeek FP8 layout, which is dequantised on load) leaves as a Hugging Face bundle,
 * DeepSeek's FP8 block-quantised layout (with the round-trip error reported), or a GGUF file that
 * llama.cpp runs (architecture deepseek2). See src/export/ for the formats.
 */
import { R1_CHAT_TEMPLATE, R1_ZERO_CHAT_TEMPLATE } from '../../tokenizer/chat.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resolveCheckpoint } from '../../train/checkpoint.js';
import { InvalidArgumentError, type Command } from 'commander';
import type { GgmlType } from '../../io/gguf-format.js';
import { loadAnyCheckpoint } from '../../export/checkpoint.js';
import { exportGguf } from '../../export/gguf-export.js';
import { writeHfBundle } from '../../export/hf-bundle.js';
import { type VerifyResult, verifyWithLlamaCpp } from '../../export/verify-llama.js';
import { intOption } from '../options.js';

const FORMATS = ['hf', 'gguf', 'fp8'] as const;
const GGUF_TYPES: readonly GgmlType[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_K', 'Q6_K'];

function choice<T extends string>(
  flag: string,
  options: readonly T[],
  normalise: (v: string) => string = (v) => v,
): (v: string) => T {
  return (v: string) => {
    const n = normalise(v);
    if (!(options as readonly string[]).includes(n))
      throw new InvalidArgumentError(`${flag} must be one of ${options.join(', ')}, got '${v}'`);
    return n as T;
  };
}

/** Parses a size such as 5GB, 500MB or a byte count. */
function sizeOption(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB)?$/i.exec(v.trim());
  if (!m) throw new InvalidArgumentError(`--max-shard-size must be a size like 5GB, 500MB or a byte count, got '${v}'`);
  const unit = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[(m[2] ?? 'B').toUpperCase() as 'B']!;
  const n = Math.floor(Number(m[1]) * unit);
  if (n <= 0) throw new InvalidArgumentError(`--max-shard-size must be positive, got '${v}'`);
  return n;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(2)} MB`;

interface ExportFlags {
  format: (typeof FORMATS)[number];
  out: string;
  type: GgmlType;
  dtype: 'keep' | 'F32' | 'BF16';
  maxShardSize?: number;
  tokenizer?: string;
  chatTemplate: 'keep' | 'r1' | 'r1-zero';
  name?: string;
  verify?: boolean;
  json?: boolean;
  threads: number;
  batches: number[];
  prompt: number;
  tokens: number;
}

function batchList(v: string): number[] {
  const list = v.split(',').map((x) => Number(x.trim()));
  if (list.length === 0 || !list.every((n) => Number.isInteger(n) && n > 0))
    throw new InvalidArgumentError(`--batches must be positive integers separated by commas, got '${v}'`);
  return list;
}

/** The `--verify --json` line: the settings, the agreement and each batch's tokens/s with the ratio ours / llama.cpp. */
function verifyJson(o: ExportFlags, v: VerifyResult): Record<string, unknown> {
  return {
    gguf: o.out,
    type: o.type,
    threads: o.threads,
    prompt: o.prompt,
    new_tokens: o.tokens,
    max_logprob_diff: v.maxLogProbDiff,
    greedy_first_mismatch: v.greedyFirstMismatch,
    bench: v.bench.map((b) => ({
      batch: b.batch,
      tokens_per_s: b.oursTokensPerS,
      llama_tokens_per_s: b.llamaTokensPerS,
      ratio: b.oursTokensPerS / b.llamaTokensPerS,
    })),
  };
}

/** Registers the `export` command. */
export function register(program: Command): void {
  program
    .command('export')
    .description(
      'export a DeepSeek-V3 or Qwen2/Llama checkpoint as a Hugging Face bundle, DeepSeek FP8 checkpoint, or GGUF for llama.cpp',
    )
    .argument(
      '<checkpoint>',
      'checkpoint folder (config.json + model.safetensors or shards; FP8 checkpoints are dequantised), or a training output_dir (its `latest`)',
    )
    .requiredOption(
      '--format <format>',
      `output format: ${FORMATS.join(', ')}`,
      choice('--format', FORMATS, (v) => v.toLowerCase()),
    )
    .requiredOption('--out <path>', 'output folder (hf, fp8) or .gguf file (gguf)')
    .option(
      '--type <type>',
      `GGUF tensor type of the matrices: ${GGUF_TYPES.join(', ')}`,
      choice('--type', GGUF_TYPES, (v) => v.toUpperCase()),
      'F16',
    )
    .option(
      '--dtype <dtype>',
      'hf/fp8: float dtype of the stored tensors: keep, F32, BF16',
      choice('--dtype', ['keep', 'F32', 'BF16'] as const, (v) => (v === 'keep' ? v : v.toUpperCase())),
      'keep',
    )
    .option('--max-shard-size <size>', 'hf/fp8: largest safetensors shard (e.g. 5GB, 500MB)', sizeOption)
    .option('--tokenizer <dir>', 'folder with tokenizer.json / tokenizer_config.json (default: the checkpoint folder)')
    .option(
      '--chat-template <name>',
      "hf/fp8: chat_template to write: keep (the tokenizer folder's), r1 (the R1 chat layout) or " +
        'r1-zero (the R1-Zero template, for a model trained with it)',
      choice('--chat-template', ['keep', 'r1', 'r1-zero'] as const, (v) => v.toLowerCase()),
      'keep',
    )
    .option('--name <name>', 'gguf: general.name (default: the checkpoint folder name)')
    .option(
      '--verify',
      'gguf: load the file in llama.cpp (node-llama-cpp) and compare with our model: log-probs, greedy, decode tokens/s',
    )
    .option('--json', 'gguf --verify: print the comparison as one JSON line (what benchmarks keep) instead of text')
    .option('--threads <n>', 'gguf --verify: threads for both engines', intOption('--threads'), 1)
    .option('--batches <list>', 'gguf --verify: decode batch sizes to time, e.g. 1,4,16', batchList, [1])
    .option('--prompt <n>', 'gguf --verify: prompt tokens', intOption('--prompt'), 16)
    .option('--tokens <n>', 'gguf --verify: generated tokens per sequence', intOption('--tokens'), 32)
    .action(async (checkpoint: string, o: ExportFlags) => {
      // A training output_dir names its newest checkpoint in `latest`; anything else loads as given.
      const dir =
        !existsSync(join(checkpoint, 'config.json')) && existsSync(join(checkpoint, 'latest'))
          ? await resolveCheckpoint(checkpoint)
          : checkpoint;
      const ck = await loadAnyCheckpoint(dir);
      for (const w of ck.warnings) process.stderr.write(`warning: ${w}\n`);
      if (ck.fp8Dequantized > 0) process.stderr.write(`dequantised ${ck.fp8Dequantized} FP8 weights on load\n`);
      if (o.format === 'gguf') {
        const r = await exportGguf(ck, o.out, {
          type: o.type,
          ...(o.tokenizer ? { tokenizerDir: o.tokenizer } : {}),
          ...(o.name ? { name: o.name } : {}),
        });
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(
          `wrote ${r.path}: ${r.tensors} tensors, ${mb(r.bytes)} (${ck.kind === 'dense' ? 'qwen2' : 'deepseek2'}, ${o.type})\n`,
        );
        if (o.verify) {
          const v = await verifyWithLlamaCpp(ck, o.out, {
            threads: o.threads,
            batches: o.batches,
            prompt: o.prompt,
            tokens: o.tokens,
          });
          if (o.json) {
            process.stdout.write(`${JSON.stringify(verifyJson(o, v))}\n`);
            return;
          }
          const greedy =
            v.greedyFirstMismatch < 0
              ? `identical for ${v.greedyTokens} tokens`
              : `differs from step ${v.greedyFirstMismatch}`;
          process.stdout.write(
            `llama.cpp vs ours: max |log p difference| ${v.maxLogProbDiff.toExponential(2)} over ${o.prompt} positions; greedy ${greedy}\n`,
          );
          process.stdout.write(
            `greedy decode tokens/s (${o.threads} thread${o.threads > 1 ? 's' : ''}, prompt ${o.prompt}, ${o.tokens} tokens):\n`,
          );
          for (const b of v.bench)
            process.stdout.write(
              `  batch ${String(b.batch).padStart(3)}  ours ${b.oursTokensPerS.toFixed(1).padStart(8)} ` +
                ` llama.cpp ${b.llamaTokensPerS.toFixed(1).padStart(8)}\n`,
            );
        }
        return;
      }
      const r = await writeHfBundle(ck, o.out, {
        fp8: o.format === 'fp8',
        dtype: o.dtype,
        ...(o.maxShardSize !== undefined ? { maxShardBytes: o.maxShardSize } : {}),
        ...(o.tokenizer ? { tokenizerDir: o.tokenizer } : {}),
        ...(o.chatTemplate === 'r1'
          ? { chatTemplate: R1_CHAT_TEMPLATE }
          : o.chatTemplate === 'r1-zero'
            ? { chatTemplate: R1_ZERO_CHAT_TEMPLATE }
            : {}),
      });
      for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
      process.stdout.write(`wrote ${o.out}: ${r.files.join(', ')}\n`);
      if (r.fp8) {
        const f = r.fp8;
        process.stdout.write(
          `FP8 E4M3, 128x128 block scales: ${f.quantized} weights, ${mb(f.bytesBefore)} -> ${mb(f.bytesAfter)}; ` +
            `round-trip error max ${f.maxAbsError.toExponential(3)} (max ${(100 * f.maxRelError).toFixed(2)}% ` +
            `of a tensor's largest weight), relative RMS ${(100 * f.rmsRelError).toFixed(3)}%\n`,
        );
      }
    });
}
