/**
 * Checks a GGUF export against this project's model in llama.cpp (node-llama-cpp) and measures
 * both: next-token log-probabilities on a prompt (max |difference|), a greedy continuation
 * (identical or the first differing step), and greedy decode tokens/s at several batch sizes on
 * the same weights (prefill of `prompt` random tokens, then `tokens` decode steps per sequence;
 * only the decode phase is timed; our side runs on the generation engine: the Scheduler over the
 * model's CausalLM adapter).
 */
import { greedyDecode } from '../bench/decode.js';
import type { CausalLM } from '../inference/causal-lm.js';
import { DeepseekV3LM } from '../inference/deepseek-adapter.js';
import { DenseLM } from '../inference/dense-adapter.js';
import { createBackend } from '../kernels/index.js';
import { disposeParams, paramsFromContents } from '../models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { DenseModel } from '../models/qwen2/model.js';
import { denseTensors } from '../models/qwen2/params.js';
import { tensorToFloat32 } from '../io/safetensors.js';
import { Engine, type Tensor } from '../tensor/index.js';
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

/** What the comparison needs from a model: full-pass logits and the generation engine's adapter. */
interface VerifyModel {
  forward(tokens: Tensor): Tensor;
  /** The model behind the CausalLM seam, with `slots` sequences of up to `maxContext` tokens. */
  lm(slots: number, maxContext: number): CausalLM & { dispose(): void };
  dispose(): void;
}

/** Builds our model of a checkpoint behind the VerifyModel seam. */
function buildModel(engine: Engine, ck: AnyCheckpoint): VerifyModel {
  if (ck.kind === 'dense') {
    const params = new Map(
      denseTensors(ck.config).map((s) => [s.name, engine.parameter(tensorToFloat32(ck.tensors.get(s.name)!), s.shape)]),
    );
    const m = new DenseModel(engine, ck.config, params);
    return {
      forward: (t) => m.forward(t),
      lm: (maxSlots, maxContext) => new DenseLM(m, { maxSlots, maxContext }),
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
    lm: (maxSlots, maxContext) => new DeepseekV3LM(m, { maxSlots, maxContext, mtp: false }),
    dispose: () => {
      m.dispose();
      disposeParams(params);
    },
  };
}

/** Our greedy decoding of equal-length prompts on the engine: ids per row and decode tokens/s. */
async function oursDecode(
  model: VerifyModel,
  prompts: number[][],
  n: number,
): Promise<{ ids: number[][]; tokensPerS: number }> {
  const lm = model.lm(prompts.length, prompts[0]!.length + n);
  try {
    const run = await greedyDecode(lm, prompts, n);
    return { ids: run.ids, tokensPerS: (prompts.length * (n - 1)) / (run.decodeMs / 1000) };
  } finally {
    lm.dispose();
  }
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
    const oursGreedy = (await oursDecode(model, [prompt], N)).ids[0]!;
    const llamaIds = await llamaGreedy(llama, prompt, N);
    const mismatch = oursGreedy.findIndex((t, i) => t !== llamaIds[i]);
    const bench: VerifyResult['bench'] = [];
    for (const B of batches) {
      const prompts = Array.from({ length: B }, (_, b) => randomTokens(P, c.vocab_size, 100 + b));
      const o = await oursDecode(model, prompts, N);
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
