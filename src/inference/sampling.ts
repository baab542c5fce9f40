/**
 * Token sampling: greedy, or temperature + top-k + top-p (nucleus, Holtzman et al. 2019) applied in
 * that order, as Hugging Face's generate does. R1's recommended settings are temperature 0.6 and
 * top-p 0.95 (DeepSeek-R1 model card). Samplers are chosen once per request (`makeSampler`), so the
 * hot loop does not branch on options. Each request owns its Rng: the same seed gives the same
 * tokens whatever else shares the batch. Log-probabilities are those of the model's own
 * distribution (temperature 1, no truncation), as OpenAI's `logprobs` report them.
 */
import { Rng } from '../tensor/rng.js';

/** Per-request generation settings (token level; stop strings live in the text layer). */
export interface SamplingParams {
  /** 0 means greedy. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 disables it. */
  topP: number;
  /** Keep the k most likely tokens; 0 disables it. */
  topK: number;
  /** Seed of this request's Rng; absent means a fresh random seed. */
  seed?: number;
  /** Most tokens to generate (the stop token counts). */
  maxNewTokens: number;
  /** Token ids that end generation (not emitted as output). */
  stopTokens: readonly number[];
  /** Report each chosen token's log-probability. */
  logprobs: boolean;
  /** With logprobs: also the this many most likely tokens at each position (0..20; default 0). */
  topLogprobs?: number;
  /**
   * Sample only ids below this (checkpoints pad the embedding past the tokenizer: DeepSeek-V3 has
   * vocab_size 129,280 for a smaller tokenizer). Absent: the whole logit vector.
   */
  vocabLimit?: number;
}

/** DeepSeek-R1's recommended sampling (model card: temperature 0.6, top-p 0.95). */
export const R1_SAMPLING: SamplingParams = Object.freeze({
  temperature: 0.6,
  topP: 0.95,
  topK: 0,
  maxNewTokens: 4096,
  stopTokens: Object.freeze([]) as readonly number[],
  logprobs: false,
});

/** Throws an error naming the field when `p` is out of range. */
export function checkSamplingParams(p: SamplingParams): void {
  const bad = (name: string, v: unknown, want: string) =>
    new Error(`sampling: ${name} must be ${want}, got ${String(v)}`);
  if (!(Number.isFinite(p.temperature) && p.temperature >= 0))
    throw bad('temperature', p.temperature, 'a finite number >= 0');
  if (!(p.topP > 0 && p.topP <= 1)) throw bad('topP', p.topP, 'in (0, 1]');
  if (!(Number.isInteger(p.topK) && p.topK >= 0)) throw bad('topK', p.topK, 'an integer >= 0');
  if (!(Number.isInteger(p.maxNewTokens) && p.maxNewTokens >= 1))
    throw bad('maxNewTokens', p.maxNewTokens, 'an integer >= 1');
  if (p.seed !== undefined && !Number.isFinite(p.seed)) throw bad('seed', p.seed, 'a finite number');
  if (p.vocabLimit !== undefined && !(Number.isInteger(p.vocabLimit) && p.vocabLimit >= 1))
    throw bad('vocabLimit', p.vocabLimit, 'an integer >= 1');
  if (p.topLogprobs !== undefined && !(Number.isInteger(p.topLogprobs) && p.topLogprobs >= 0 && p.topLogprobs <= 20))
    throw bad('topLogprobs', p.topLogprobs, 'an integer in [0, 20]');
  for (const t of p.stopTokens)
    if (!(Number.isInteger(t) && t >= 0)) throw bad('stopTokens', t, 'non-negative integer ids');
}

/** Logits holding NaN or +Inf: the model's weights or activations went non-finite. */
export class NonFiniteLogitsError extends Error {}

/** Picks a token id from a logit vector. */
export type Sampler = (logits: Float32Array, rng: Rng) => number;

/** Throws NonFiniteLogitsError when a logit is NaN or +Inf (-Inf is a mask and allowed). */
export function checkLogits(logits: Float32Array): void {
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== v || v === Infinity)
      throw new NonFiniteLogitsError(
        `non-finite logits: ${v} at token id ${i} (of ${logits.length}); the model's weights may hold ` +
          `NaN/Inf (loading a checkpoint warns when they do)`,
      );
  }
}

/** Index of the largest logit (the first one on ties); NaN or +Inf logits are an error, not token 0. */
export function argmax(logits: Float32Array): number {
  let best = 0,
    bestV = -Infinity;
  for (let i = 0; i < logits.length; i++) {
    const v = logits[i]!;
    if (v !== v || v === Infinity) checkLogits(logits);
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** log softmax(logits)[token], computed stably in float64. */
export function logprobOf(logits: Float32Array, token: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  return logits[token]! - max - Math.log(sum);
}

/** The `k` most likely tokens with their log-probabilities (model distribution), most likely first. */
export function topLogprobs(logits: Float32Array, k: number): Array<{ token: number; logprob: number }> {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i]! > max) max = logits[i]!;
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i]! - max);
  const logSum = Math.log(sum);
  const best: number[] = []; // ids, descending logit (ties: lower id first)
  for (let i = 0; i < logits.length; i++) {
    if (best.length === k && !(logits[i]! > logits[best[k - 1]!]!)) continue;
    let j = best.length < k ? best.length : k - 1;
    while (j > 0 && logits[i]! > logits[best[j - 1]!]!) j--;
    best.splice(j, 0, i);
    if (best.length > k) best.pop();
  }
  return best.map((token) => ({ token, logprob: logits[token]! - max - logSum })); // as logprobOf computes it
}

/**
 * The candidates of top-k / top-p after temperature: ids in descending probability and their
 * (unnormalised) probabilities. Only tokens above a falling threshold are sorted, which is exact:
 * every token left out is less likely than every token kept.
 */
export function truncatedDistribution(
  logits: Float32Array,
  temperature: number,
  topK: number,
  topP: number,
): { ids: Int32Array; probs: Float64Array } {
  const V = logits.length;
  let max = -Infinity;
  for (let i = 0; i < V; i++) if (logits[i]! > max) max = logits[i]!;
  const p = new Float64Array(V);
  let total = 0;
  for (let i = 0; i < V; i++) total += p[i] = Math.exp((logits[i]! - max) / temperature);
  const k = topK > 0 ? Math.min(topK, V) : V;
  let ids = new Int32Array(0);
  for (let tau = 1 / 16; ; tau = tau < 1e-300 ? 0 : tau / 256) {
    let n = 0,
      mass = 0;
    for (let i = 0; i < V; i++)
      if (p[i]! >= tau) {
        n++;
        mass += p[i]!;
      }
    const enough = tau === 0 || (topK > 0 ? n >= k : mass >= topP * total);
    if (!enough) continue;
    ids = new Int32Array(n);
    for (let i = 0, j = 0; i < V; i++) if (p[i]! >= tau) ids[j++] = i;
    ids.sort((a, b) => p[b]! - p[a]! || a - b);
    break;
  }
  if (ids.length > k) ids = ids.subarray(0, k);
  // Nucleus reference mass: the top-k mass when top-k ran first, else the whole distribution.
  let refMass = total;
  if (topK > 0) {
    refMass = 0;
    for (const id of ids) refMass += p[id]!;
  }
  let cum = 0,
    cut = ids.length;
  for (let j = 0; j < ids.length; j++) {
    cum += p[ids[j]!]!;
    if (cum >= topP * refMass) {
      cut = j + 1;
      break;
    }
  }
  ids = ids.subarray(0, cut);
  return { ids, probs: Float64Array.from(ids, (id) => p[id]!) };
}

/** Greedy decoding. */
export const greedySampler: Sampler = (logits) => argmax(logits);

/** Temperature, then top-k, then top-p, then a draw from what is left. */
export function stochasticSampler(temperature: number, topK: number, topP: number): Sampler {
  return (logits, rng) => {
    checkLogits(logits);
    const { ids, probs } = truncatedDistribution(logits, temperature, topK, topP);
    return ids[rng.categorical(probs)]!;
  };
}

/** The sampler for these settings, chosen once per request. */
export function makeSampler(p: Pick<SamplingParams, 'temperature' | 'topK' | 'topP'>): Sampler {
  if (p.temperature === 0 || p.topK === 1) return greedySampler;
  return stochasticSampler(p.temperature, p.topK, p.topP);
}

/** The request's Rng: seeded when a seed is given, else from fresh random bits. */
export function requestRng(seed: number | undefined): Rng {
  return new Rng(seed ?? Math.floor(Math.random() * 2 ** 32));
}
