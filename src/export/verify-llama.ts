/**
 * Checks a GGUF export against this project's model in llama.cpp (node-llama-cpp) and measures
 * both: next-token log-probabilities on a prompt (max |difference|), a greedy continuation
 * (identical or the first differing step), and greedy decode tokens/s at several batch sizes on
 * the same weights (prefill of `prompt` random tokens, then `tokens` decode steps per sequence;
 * only the decode phase is timed; our model runs the absorbed MLA latent cache).
 */
import { createBackend } from '../kernels/index.js';
import { disposeParams, paramsFromContents } from '../models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { DenseModel } from '../models/qwen2/model.js';
import { denseTensors } from '../models/qwen2/params.js';
import { tensorToFloat32 } from '../io/safetensors.js';
import { argmax, Engine, type Tensor } from '../tensor/index.js';
import type { AnyCheckpoint } from './checkpoint.js';
import { llamaDecodeTokensPerSecond, llamaGreedy, llamaLogProbs, loadLlamaCpp } from './llama-cpp.js';

export interface VerifyOptions {
  readonly threads?: number;
  readonly batches?: readonly number[];
  readonly prompt?: number;
  readonly tokens?: number;
  readonly seed?: number;
}

export interface VerifyResult {
  readonly maxLogProbDiff: number;
  readonly greedyTokens: number;
  /** -1 when the continuations are identical, else the first differing step. */
  readonly greedyFirstMismatch: number;
  readonly bench: { batch: number; oursTokensPerS: number; llamaTokensPerS: number }[];
}

function randomTokens(n: number, vocab: number, seed: number): number[] {
  let s = seed >>> 0;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % vocab;
  });
}

function logSoftmaxMaxDiff(ours: Float32Array, theirs: Float32Array): number {
  let m = -Infinity;
  for (const x of ours) m = Math.max(m, x);
  let z = 0;
  for (const x of ours) z += Math.exp(x - m);
  const lz = m + Math.log(z);
  let d = 0;
  for (let i = 0; i < ours.length; i++) if (theirs[i]! > -80) d = Math.max(d, Math.abs(ours[i]! - lz - theirs[i]!));
  return d;
}

/** What the comparison needs from a model: full-pass logits and cached greedy steps. */
interface DecodeModel {
  forward(tokens: Tensor): Tensor;
  createCache(batch: number, maxLen: number): { dispose(): void };
  step(cache: { dispose(): void }, tokens: Tensor): Tensor;
  dispose(): void;
}

/** Builds our model of a checkpoint behind the DecodeModel seam. */
function buildModel(engine: Engine, ck: AnyCheckpoint): DecodeModel {
  if (ck.kind === 'dense') {
    const params = new Map(
      denseTensors(ck.config).map((s) => [s.name, engine.parameter(tensorToFloat32(ck.tensors.get(s.name)!), s.shape)]),
    );
    const m = new DenseModel(engine, ck.config, params);
    return {
      forward: (t) => m.forward(t),
      createCache: (b, len) => m.createCache(b, len),
      step: (cache, t) => m.step(cache as ReturnType<DenseModel['createCache']>, t),
      dispose: () => {
        m.dispose();
        disposeParams(params);
      },
    };
  }
  const { params } = paramsFromContents(engine, ck.config, { tensors: ck.tensors, metadata: {} }, ck.dir);
  const m = new DeepseekV3(engine, ck.config, params);
  return {
    forward: (t) => m.forward(t).logits,
    createCache: (b, len) => m.createCache(b, len),
    step: (cache, t) => m.step(cache as ReturnType<DeepseekV3['createCache']>, t).logits,
    dispose: () => {
      m.dispose();
      disposeParams(params);
    },
  };
}

/** Our greedy decoding of `B` prompts: returns the generated ids per row and decode tokens/s. */
function oursDecode(
  engine: Engine,
  model: DecodeModel,
  prompts: number[][],
  n: number,
): { ids: number[][]; tokensPerS: number } {
  const B = prompts.length,
    P = prompts[0]!.length;
  const cache = model.createCache(B, P + n);
  const ids: number[][] = prompts.map(() => []);
  let decodeMs = 0;
  try {
    engine.noGrad(() => {
      const greedy = (logits: Tensor): Int32Array =>
        engine.read(argmax(DeepseekV3.lastLogits(logits), 1)) as Int32Array;
      let next = engine.scope(() => greedy(model.step(cache, engine.tensor(prompts.flat(), [B, P], 'i32'))));
      next.forEach((t, b) => ids[b]!.push(t));
      const t0 = performance.now();
      for (let i = 1; i < n; i++) {
        const step = next;
        next = engine.scope(() => greedy(model.step(cache, engine.tensor(step, [B, 1], 'i32'))));
        next.forEach((t, b) => ids[b]!.push(t));
      }
      decodeMs = performance.now() - t0;
    });
  } finally {
    cache.dispose();
  }
  return { ids, tokensPerS: (B * (n - 1)) / (decodeMs / 1000) };
}

/** Runs the comparison and the benchmark for checkpoint `ck` exported to `ggufPath`. */
export async function verifyWithLlamaCpp(
  ck: AnyCheckpoint,
  ggufPath: string,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const c = ck.config;
  const threads = opts.threads ?? 1,
    P = opts.prompt ?? 16,
    N = opts.tokens ?? 32,
    batches = opts.batches ?? [1];
  if (P + N > c.max_position_embeddings)
    throw new Error(`verify: prompt ${P} + tokens ${N} exceed max_position_embeddings ${c.max_position_embeddings}`);
  const maxB = batches.reduce((a, b) => Math.max(a, b), -Infinity);
  const engine = new Engine(await createBackend({ threads }));
  const model = buildModel(engine, ck);
  const llama = await loadLlamaCpp(ggufPath, {
    vocabSize: c.vocab_size,
    contextSize: maxB * (P + N),
    sequences: maxB,
    threads,
  });
  try {
    const prompt = randomTokens(P, c.vocab_size, opts.seed ?? 1);
    const ours = engine.noGrad(() =>
      engine.scope(() => engine.read(model.forward(engine.tensor(prompt, [1, P], 'i32'))) as Float32Array),
    );
    const theirs = await llamaLogProbs(llama, prompt);
    let maxDiff = 0;
    for (let s = 0; s < P; s++)
      maxDiff = Math.max(
        maxDiff,
        logSoftmaxMaxDiff(ours.subarray(s * c.vocab_size, (s + 1) * c.vocab_size), theirs[s]!),
      );
    const oursGreedy = oursDecode(engine, model, [prompt], N).ids[0]!;
    const llamaIds = await llamaGreedy(llama, prompt, N);
    const mismatch = oursGreedy.findIndex((t, i) => t !== llamaIds[i]);
    const bench: VerifyResult['bench'] = [];
    for (const B of batches) {
      const prompts = Array.from({ length: B }, (_, b) => randomTokens(P, c.vocab_size, 100 + b));
      const o = oursDecode(engine, model, prompts, N);
      const l = await llamaDecodeTokensPerSecond({ ...llama, sequences: llama.sequences.slice(0, B) }, prompts, N);
      bench.push({ batch: B, oursTokensPerS: o.tokensPerS, llamaTokensPerS: l.tokensPerS });
    }
    return { maxLogProbDiff: maxDiff, greedyTokens: N, greedyFirstMismatch: mismatch, bench };
  } finally {
    await llama.dispose();
    model.dispose();
    engine.backend.dispose();
  }
}
