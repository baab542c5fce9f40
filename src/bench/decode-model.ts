/**
 * `bench decode --model <dir | file.gguf>`: greedy decoding of a real Qwen2 / Llama checkpoint
 * (compact weights, src/models/qwen2/compact-load.ts): `batch` random prompts of `prompt` tokens
 * are prefilled, then `tokens` new tokens per sequence are decoded one step at a time.
 *
 * Reported: decode tokens/s (decode phase only), prefill tokens/s, RSS now and at its peak, the
 * weights' bytes and the weight bytes streamed per second at batch 1 (decode is bound by reading
 * every weight once per token), next to a memory-bandwidth probe measured in the same run (an F32
 * product streaming 256 MB, the same access pattern: the physical limit). With `vsLlama`
 * node-llama-cpp decodes the same GGUF with the same prompts and threads right after, and the
 * ratios ours / llama.cpp are printed.
 */
import { availableParallelism } from 'node:os';
import { llamaDecodeTokensPerSecond, loadLlamaCpp } from '../export/llama-cpp.js';
import { kvRuntimeBytes } from '../inference/memory-estimate.js';
import { createBackend, type BackendKind } from '../kernels/index.js';
import { type KernelStat, profiledBackend } from './profile.js';
import { CompactWeight } from '../nn/compact-linear.js';
import { type CompactDense, type LoadQuantization, loadDenseWeights } from '../models/qwen2/compact-load.js';
import { DenseModel } from '../models/qwen2/model.js';
import { Engine, Rng } from '../tensor/index.js';
import { DenseLM } from '../inference/dense-adapter.js';
import { greedyDecode } from './decode.js';

export interface ModelDecodeOptions {
  model: string;
  batch?: number;
  prompt?: number;
  tokens?: number;
  threads?: number;
  backend?: BackendKind;
  quantize?: LoadQuantization;
  vsLlama?: boolean;
  seed?: number;
  /** Time every kernel call (src/bench/profile.ts); the result then holds `profile`. */
  profile?: boolean;
}

export interface LlamaFigures {
  tokens_per_s: number;
  prefill_tokens_per_s: number;
  weight_gb_per_s: number;
  rss_delta_mb: number;
}

export interface ModelDecodeResult {
  model: string;
  weights: string;
  backend: string;
  threads: number;
  batch: number;
  prompt: number;
  new_tokens: number;
  tokens_per_s: number;
  prefill_tokens_per_s: number;
  ms_per_step: number;
  load_s: number;
  rss_mb: number;
  peak_rss_mb: number;
  weight_gb: number;
  weight_gb_per_s: number;
  bandwidth_probe_gb_per_s: number;
  llama?: LlamaFigures;
  ratio?: number;
  prefill_ratio?: number;
  /** With `profile`: kernel calls of the decode steps (after the prefill), slowest first, and their wall time. */
  profile?: { stats: KernelStat[]; total_ms: number };
}

const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
const r3 = (x: number): number => Math.round(x * 1000) / 1000;

/** GB/s of a float32 matrix-vector product streaming `bytes` of weights (best of 3). */
export function probeBandwidth(engine: Engine, bytes = 256 << 20): number {
  const cols = 4096,
    rows = Math.floor(bytes / (4 * cols));
  const w = CompactWeight.alloc(engine, 0, 'F32', rows, cols, rows * cols * 4);
  const x = engine.keep(engine.zeros([cols])),
    y = engine.keep(engine.empty([rows]));
  try {
    engine.backend.fill(w.ptr, rows * cols, 0);
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      engine.backend.quantMatmul({ type: 0, m: 1, n: rows, k: cols, x: x.ptr, w: w.ptr, y: y.ptr });
      best = Math.min(best, performance.now() - t0);
    }
    return w.bytes / 1e9 / (best / 1000);
  } finally {
    x.dispose();
    y.dispose();
    w.dispose();
  }
}

function weightsSummary(loaded: CompactDense): string {
  const count = new Map<string, number>();
  for (const w of loaded.compact.values()) count.set(w.typeName, (count.get(w.typeName) ?? 0) + 1);
  return [...count].map(([t, n]) => `${t} x${n}`).join(', ');
}

/** Runs the benchmark (and llama.cpp after it when asked). */
export async function benchDecodeModel(o: ModelDecodeOptions): Promise<ModelDecodeResult> {
  const B = o.batch ?? 1,
    P = o.prompt ?? 32,
    N = o.tokens ?? 64,
    threads = o.threads ?? availableParallelism();
  if (o.vsLlama && !o.model.endsWith('.gguf'))
    throw new Error(
      `--vs-llama needs a GGUF file (llama.cpp runs GGUF only); got ${o.model}. Export one: deepseek-ts export <dir> --format gguf --type Q8_0`,
    );
  if (N < 2) throw new Error(`--tokens must be at least 2 (one from the prefill, one decode step), got ${N}`);
  const backend = await createBackend({ kind: o.backend ?? 'auto', threads });
  const prof = o.profile ? profiledBackend(backend, { shapes: true }) : null;
  const engine = new Engine(prof ? prof.backend : backend);
  let result: ModelDecodeResult;
  let prompts: number[][];
  try {
    const probe = probeBandwidth(engine);
    const t0 = performance.now();
    const loaded = await loadDenseWeights(engine, o.model, {
      ...(o.quantize ? { quantize: o.quantize } : {}),
      runtimeBytes: (c) =>
        kvRuntimeBytes({
          layers: c.num_hidden_layers,
          kvHeads: c.num_key_value_heads,
          headDim: c.head_dim,
          maxContext: P + N,
          slots: B,
          vocab: c.vocab_size,
        }),
    });
    const loadS = (performance.now() - t0) / 1000;
    const c = loaded.config;
    if (P + N > c.max_position_embeddings)
      throw new Error(`--prompt ${P} + --tokens ${N} exceed max_position_embeddings ${c.max_position_embeddings}`);
    const model = new DenseModel(engine, c, loaded.params, P + N, loaded.compact);
    const lm = new DenseLM(model, { maxSlots: B, maxContext: P + N });
    const rng = new Rng(o.seed ?? 1);
    prompts = Array.from({ length: B }, () => Array.from({ length: P }, () => rng.int(c.vocab_size)));
    let prefillMs = 0,
      decodeMs = 0;
    try {
      ({ prefillMs, decodeMs } = await greedyDecode(lm, prompts, N, () => prof?.reset()));
    } finally {
      lm.dispose();
      model.dispose();
    }
    const steps = N - 1,
      tps = (B * steps) / (decodeMs / 1000);
    const weightGb = loaded.weightBytes / 1e9;
    result = {
      model: o.model,
      weights: weightsSummary(loaded),
      backend: backend.name,
      threads: backend.threads,
      batch: B,
      prompt: P,
      new_tokens: N,
      tokens_per_s: r3(tps),
      prefill_tokens_per_s: r3((B * P) / (prefillMs / 1000)),
      ms_per_step: r3(decodeMs / steps),
      load_s: r3(loadS),
      rss_mb: mb(process.memoryUsage().rss),
      peak_rss_mb: mb(process.resourceUsage().maxRSS * 1024),
      weight_gb: r3(weightGb),
      weight_gb_per_s: r3((weightGb * steps) / (decodeMs / 1000)),
      bandwidth_probe_gb_per_s: r3(probe),
      ...(prof ? { profile: { stats: prof.stats(), total_ms: r3(decodeMs) } } : {}),
    };
    loaded.dispose();
  } finally {
    backend.dispose();
  }
  if (!o.vsLlama) return result;
  const before = process.memoryUsage().rss;
  const llama = await loadLlamaCpp(o.model, { vocabSize: 1, contextSize: P + N, sequences: B, threads });
  try {
    // After the decode, not the load: llama.cpp maps the file, and its weight pages count in RSS
    // only once a step has touched them.
    const t = await llamaDecodeTokensPerSecond(llama, prompts, N);
    const rssDelta = process.memoryUsage().rss - before;
    const figures: LlamaFigures = {
      tokens_per_s: r3(t.tokensPerS),
      prefill_tokens_per_s: r3((B * P) / (t.prefillMs / 1000)),
      weight_gb_per_s: r3((result.weight_gb * t.tokensPerS) / B),
      rss_delta_mb: mb(rssDelta),
    };
    return {
      ...result,
      llama: figures,
      ratio: r3(result.tokens_per_s / figures.tokens_per_s),
      prefill_ratio: r3(result.prefill_tokens_per_s / figures.prefill_tokens_per_s),
    };
  } finally {
    await llama.dispose();
  }
}
