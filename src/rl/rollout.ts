/**
 * Group rollouts over the DeepSeek-V3 latent-cache decode API (`stepRows`, one cache slot per
 * sequence): n completions of each of several prompts (GRPO's groups; eval's k samples), all in one
 * batch. Sampling reuses src/inference's samplers (temperature, top-k, top-p; greedy at 0).
 *
 * Why not the continuous-batching Scheduler directly: it needs a slot-based CausalLM over the model,
 * which src/inference does not provide for DeepSeek-V3 yet, and a group shares its prompt, which
 * the Scheduler would prefill n times. `schedulerGroup` (below) runs the same contract over any
 * CausalLM with the Scheduler, for models that have such an adapter.
 */
import type { CausalLM } from '../inference/causal-lm.js';
import { makeSampler } from '../inference/sampling.js';
import { Scheduler } from '../inference/scheduler.js';
import type { DeepseekV3 } from '../models/deepseek-v3/model.js';
import type { Rng } from '../tensor/index.js';

/** Prompt tokens per prefill call and row (see sampleGroups). */
export const PREFILL_CHUNK = 64;

/** Sampling settings of a rollout (token level). */
export interface SampleSettings {
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  /** Ids that end a completion; the stop token is kept as the completion's last token. */
  stopTokens: readonly number[];
}

/** n completions of one prompt. */
export interface GroupRollout {
  /** Sampled ids per row, ending with the stop token when the row finished. */
  completions: number[][];
  /** True when the row ended with a stop token (false: cut at maxNewTokens, "truncated"). */
  finished: boolean[];
}

/**
 * Samples `n` completions of each prompt, all groups in one batch of prompts.length * n cache
 * slots; deterministic for a given Rng state. Each prompt is prefilled once (one packed call for
 * all prompts) and its cached rows are copied to the other n - 1 slots of its group; then every
 * unfinished slot decodes one token per call, so finished rows cost nothing.
 *
 * Memory: the engine's heap reuses freed blocks of exactly the same size only, and a decode call's
 * temporaries scale with the longest cached row, which grows by one every step, so plain decoding
 * would reserve new memory at every step. One extra "anchor" slot, held at the last cache position
 * (its own output is ignored and it is rolled back after each call), pins that length to the
 * cache size. Prompts are prefilled in chunks of PREFILL_CHUNK tokens and their remainders one
 * token per call, so calls take few distinct shapes, whatever the prompt lengths.
 */
export function sampleGroups(
  model: DeepseekV3,
  prompts: readonly (readonly number[])[],
  n: number,
  s: SampleSettings,
  rng: Rng,
  prefillChunk = PREFILL_CHUNK,
): GroupRollout[] {
  const e = model.engine,
    V = model.config.vocab_size,
    P = prompts.length,
    maxLen = model.rope.maxLen;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`sampleGroups: n must be a positive integer, got ${n}`);
  if (P === 0) return [];
  const longest = prompts.map((p) => p.length).reduce((a, b) => Math.max(a, b), -Infinity);
  prompts.forEach((p, k) => {
    if (p.length === 0) throw new Error(`sampleGroups: prompts[${k}] is empty; expected at least one token id`);
  });
  const maxNew = Math.min(s.maxNewTokens, maxLen - 1 - longest);
  if (maxNew < 1)
    throw new Error(
      `sampleGroups: a prompt of ${longest} tokens leaves no room in the model's ${maxLen}-token context`,
    );
  const sampler = makeSampler(s),
    stop = new Set(s.stopTokens);
  const slots = P * n,
    anchor = slots,
    completions: number[][] = Array.from({ length: slots }, () => []);
  const finished = new Array<boolean>(slots).fill(false);
  const cache = model.createCache(slots + 1, maxLen);
  cache.lengths[anchor] = maxLen - 1;
  const call = (rows: { slot: number; tokens: readonly number[] }[]): Float32Array[] =>
    e.noGrad(() =>
      e.scope(() => {
        const out = model.stepRows(cache, [...rows, { slot: anchor, tokens: [0] }]);
        cache.truncate(anchor, maxLen - 1);
        const all = e.read(out.logits) as Float32Array; // (N, V) packed row after row
        return out.batch.rows
          .slice(0, rows.length)
          .map((r) => all.slice((r.offset + r.count - 1) * V, (r.offset + r.count) * V));
      }),
    );
  try {
    // Prefill: prompt k into slot k * n (full chunks, then single tokens), then copy its latent
    // rows to the group's other slots.
    const first = new Array<Float32Array>(P),
      done = new Int32Array(P);
    for (;;) {
      const rows: { slot: number; tokens: readonly number[] }[] = [],
        ks: number[] = [];
      prompts.forEach((p, k) => {
        const left = p.length - done[k]!;
        if (left === 0) return;
        const take = left >= prefillChunk ? prefillChunk : 1;
        rows.push({ slot: k * n, tokens: p.slice(done[k]!, done[k]! + take) });
        ks.push(k);
        done[k]! += take;
      });
      if (rows.length === 0) break;
      call(rows).forEach((l, i) => {
        if (done[ks[i]!] === prompts[ks[i]!]!.length) first[ks[i]!] = l;
      });
    }
    const W = cache.width,
      be = e.backend;
    prompts.forEach((p, k) => {
      for (const layer of cache.layers) {
        const from = layer.ptr + k * n * maxLen * W * 4;
        for (let j = 1; j < n; j++)
          be.copy(from, [W, 1], layer.ptr + (k * n + j) * maxLen * W * 4, [W, 1], [p.length, W]);
      }
      for (let j = 1; j < n; j++) cache.lengths[k * n + j] = p.length;
    });
    let logits: Float32Array[] = Array.from({ length: slots }, (_, i) => first[Math.floor(i / n)]!);
    let active = Array.from({ length: slots }, (_, i) => i);
    for (let t = 0; t < maxNew && active.length > 0; t++) {
      const next: number[] = [];
      active.forEach((slot, i) => {
        const tok = sampler(logits[i]!, rng);
        completions[slot]!.push(tok);
        if (stop.has(tok)) finished[slot] = true;
        else next.push(slot);
      });
      if (next.length === 0 || t === maxNew - 1) break;
      logits = call(next.map((slot) => ({ slot, tokens: [completions[slot]!.at(-1)!] })));
      active = next;
    }
  } finally {
    cache.dispose();
  }
  return Array.from({ length: P }, (_, k) => ({
    completions: completions.slice(k * n, (k + 1) * n),
    finished: finished.slice(k * n, (k + 1) * n),
  }));
}

/** The same contract over any CausalLM, through src/inference's continuous-batching Scheduler. */
export async function schedulerGroup(
  lm: CausalLM,
  prompt: readonly number[],
  n: number,
  s: SampleSettings,
  rng: Rng,
): Promise<GroupRollout> {
  const scheduler = new Scheduler(lm);
  const runs = Array.from({ length: n }, () =>
    scheduler.submit(prompt, {
      temperature: s.temperature,
      topP: s.topP,
      topK: s.topK,
      maxNewTokens: s.maxNewTokens,
      stopTokens: [],
      seed: rng.nextU32(),
      logprobs: false,
    }),
  );
  // Stop tokens are handled here (not by the scheduler) so they stay in the completion, as sampleGroup keeps them.
  const stop = new Set(s.stopTokens);
  const out = await Promise.all(
    runs.map(async (g) => {
      const ids: number[] = [];
      for await (const { token } of g) {
        ids.push(token);
        if (stop.has(token)) {
          g.cancel();
          return { ids, done: true };
        }
      }
      return { ids, done: false };
    }),
  );
  return { completions: out.map((o) => o.ids), finished: out.map((o) => o.done) };
}
