/**
 * `bench decode`: greedy DeepSeek-V3 decoding throughput on the generation engine (the Scheduler
 * over the DeepseekV3LM adapter and its absorbed MLA latent cache; shared/bench/bench-small.json by
 * default): a batch of equal-length random prompts is prefilled in one step, then `tokens` new
 * tokens per sequence are generated one step at a time. tokens/s counts generated tokens over the
 * decode phase only (prefill reported apart). Weights are seeded random. `greedyDecode` is the same
 * timed run over any CausalLM (export --verify uses it for its side of the llama.cpp comparison).
 */
import type { CausalLM } from '../inference/causal-lm.js';
import { DeepseekV3LM } from '../inference/deepseek-adapter.js';
import { Scheduler } from '../inference/scheduler.js';
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { disposeParams, initParams } from '../models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { Rng, type Engine } from '../tensor/index.js';

export interface DecodeBenchOptions {
  readonly batch?: number;
  readonly prompt?: number;
  readonly tokens?: number;
  readonly seed?: number;
}

export interface DecodeBenchResult {
  readonly batch: number;
  readonly tokens_per_s: number;
  readonly prompt: number;
  readonly new_tokens: number;
  readonly ms_per_step: number;
  readonly prefill_ms: number;
}

/** A timed greedy run: ids per prompt, the prefill step's time and the decode steps' time. */
export interface GreedyRun {
  ids: number[][];
  prefillMs: number;
  decodeMs: number;
}

/**
 * Greedy continuations of `n` tokens of equal-length `prompts`, all in one batch on the Scheduler
 * (the prompts are prefilled in one step, which yields every first token; n - 1 decode steps follow).
 */
export async function greedyDecode(
  lm: CausalLM,
  prompts: readonly (readonly number[])[],
  n: number,
  /** Called once every sequence has its first token: the prefill is over, the decode steps begin. */
  onPrefilled?: () => void,
): Promise<GreedyRun> {
  const P = prompts.reduce((a, p) => Math.max(a, p.length), 0);
  const scheduler = new Scheduler(lm, { maxBatch: prompts.length, prefillChunk: P, speculative: false });
  const t0 = performance.now();
  let firsts = 0,
    t1 = t0;
  const ids = await Promise.all(
    prompts.map(async (p) => {
      const out: number[] = [];
      for await (const { token } of scheduler.submit(p, { temperature: 0, maxNewTokens: n })) {
        out.push(token);
        if (out.length === 1 && ++firsts === prompts.length) {
          onPrefilled?.();
          t1 = performance.now();
        }
      }
      return out;
    }),
  );
  return { ids, prefillMs: t1 - t0, decodeMs: performance.now() - t1 };
}

/** Prefills `prompt` tokens then decodes `tokens` greedily for `batch` sequences. */
export async function benchDecode(
  engine: Engine,
  config: DeepseekV3Config,
  opts: DecodeBenchOptions = {},
): Promise<DecodeBenchResult> {
  const B = opts.batch ?? 16,
    P = opts.prompt ?? 32,
    N = opts.tokens ?? 128;
  if (P + N > config.max_position_embeddings)
    throw new Error(
      `bench decode: prompt ${P} + tokens ${N} exceed max_position_embeddings ${config.max_position_embeddings}`,
    );
  const rng = new Rng(opts.seed ?? 1);
  const params = initParams(engine, config, rng);
  const model = new DeepseekV3(engine, config, params);
  const lm = new DeepseekV3LM(model, { maxSlots: B, maxContext: P + N, mtp: false });
  const prompts = Array.from({ length: B }, () => Array.from({ length: P }, () => rng.int(config.vocab_size)));
  let run: GreedyRun;
  try {
    run = await greedyDecode(lm, prompts, N);
  } finally {
    lm.dispose();
    model.dispose();
    disposeParams(params);
  }
  // The first new token comes from the prefill; N - 1 decode steps make the rest.
  const steps = Math.max(N - 1, 1);
  return {
    batch: B,
    tokens_per_s: (B * steps) / (run.decodeMs / 1000),
    prompt: P,
    new_tokens: N,
    ms_per_step: run.decodeMs / steps,
    prefill_ms: run.prefillMs,
  };
}
