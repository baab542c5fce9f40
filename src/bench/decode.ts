/**
 * `bench decode`: greedy DeepSeek-V3 decoding throughput on the absorbed MLA latent cache
 * (shared/bench/bench-small.json by default): a batch of equal-length random prompts is prefilled,
 * then `tokens` new tokens per sequence are generated one step at a time (argmax of the last
 * logits). tokens/s counts generated tokens over the decode phase only (prefill reported apart).
 * Weights are seeded random.
 */
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { disposeParams, initParams } from '../models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { argmax, Rng, type Engine, type Tensor } from '../tensor/index.js';

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

/** Prefills `prompt` tokens then decodes `tokens` greedily for `batch` sequences. */
export function benchDecode(
  engine: Engine,
  config: DeepseekV3Config,
  opts: DecodeBenchOptions = {},
): DecodeBenchResult {
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
  const cache = model.createCache(B, P + N);
  const prompt = Array.from({ length: B * P }, () => rng.int(config.vocab_size));
  let prefillMs = 0,
    decodeMs = 0;
  try {
    engine.noGrad(() => {
      const greedy = (logits: Tensor): Int32Array =>
        engine.read(argmax(DeepseekV3.lastLogits(logits), 1)) as Int32Array; // (B,)
      const t0 = performance.now();
      let next = engine.scope(() => greedy(model.step(cache, engine.tensor(prompt, [B, P], 'i32')).logits));
      const t1 = performance.now();
      for (let i = 1; i < N; i++) {
        const ids = next;
        next = engine.scope(() => greedy(model.step(cache, engine.tensor(ids, [B, 1], 'i32')).logits));
      }
      prefillMs = t1 - t0;
      decodeMs = performance.now() - t1;
    });
  } finally {
    cache.dispose();
    model.dispose();
    disposeParams(params);
  }
  // The first new token comes from the prefill; N - 1 decode steps make the rest.
  const steps = Math.max(N - 1, 1);
  return {
    batch: B,
    tokens_per_s: (B * steps) / (decodeMs / 1000),
    prompt: P,
    new_tokens: N,
    ms_per_step: decodeMs / steps,
    prefill_ms: prefillMs,
  };
}
