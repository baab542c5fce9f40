/**
 * Group rollouts on the one generation engine (src/inference): n completions of each of several
 * prompts (GRPO's groups, DeepSeekMath 4.1.2; eval's k samples), run by the continuous-batching
 * Scheduler over any CausalLM (DeepSeek-V3 or a dense student). Each group's prompt is prefilled
 * once and its slot forked n times (`Scheduler.submitGroup`); every completion samples with its own
 * seed, drawn in order from the caller's Rng, so a rollout is deterministic for an Rng state
 * whatever else shares the batch.
 */
import type { CausalLM } from '../inference/causal-lm.js';
import type { SamplingParams } from '../inference/sampling.js';
import { Scheduler } from '../inference/scheduler.js';
import type { Rng } from '../tensor/index.js';

/** Sampling settings of a rollout (token level). */
export interface SampleSettings {
  temperature: number;
  topP: number;
  topK: number;
  maxNewTokens: number;
  /** Ids that end a completion; the stop token is kept as the completion's last token. */
  stopTokens: readonly number[];
  /** Sample only ids below this: the tokenizer's size, when the checkpoint pads its vocabulary past it. */
  vocabLimit?: number;
}

/** n completions of one prompt. */
export interface GroupRollout {
  /** Sampled ids per row, ending with the stop token when the row finished. */
  completions: number[][];
  /** True when the row ended with a stop token (false: cut at maxNewTokens or the context, "truncated"). */
  finished: boolean[];
}

/**
 * Samples `n` completions of each prompt on `lm` (which needs at least n slots; the scheduler
 * admits groups as slots free up). Seeds are drawn from `rng` prompt by prompt, row by row.
 */
/**
 * Slots for sampling `n` completions of each of `prompts`: one per completion, so a GRPO step's
 * groups decode together, or at most `cap` (at least n: a group forks at once), so many prompts
 * stream through the slots with continuous batching (an evaluation need not wait for each batch's
 * longest sample).
 */
export function rolloutSlots(prompts: number, n: number, cap = Number.POSITIVE_INFINITY): number {
  return Math.max(n, Math.min(cap, prompts * n));
}

export async function sampleGroups(
  lm: CausalLM,
  prompts: readonly (readonly number[])[],
  n: number,
  s: SampleSettings,
  rng: Rng,
): Promise<GroupRollout[]> {
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`sampleGroups: n must be a positive integer, got ${n}`);
  prompts.forEach((p, k) => {
    if (p.length === 0) throw new Error(`sampleGroups: prompts[${k}] is empty; expected at least one token id`);
    if (p.length >= lm.maxContext)
      throw new Error(
        `sampleGroups: a prompt of ${p.length} tokens leaves no room in the model's ${lm.maxContext}-token context`,
      );
  });
  const scheduler = new Scheduler(lm, { speculative: false });
  const params = (): Partial<SamplingParams> => ({
    temperature: s.temperature,
    topP: s.topP,
    topK: s.topK,
    maxNewTokens: s.maxNewTokens,
    stopTokens: s.stopTokens,
    ...(s.vocabLimit === undefined ? {} : { vocabLimit: s.vocabLimit }),
    seed: rng.nextU32(),
    logprobs: false,
  });
  const groups = prompts.map((p) =>
    scheduler.submitGroup(
      p,
      Array.from({ length: n }, () => params()),
    ),
  );
  return Promise.all(
    groups.map(async (runs) => {
      const rows = await Promise.all(
        runs.map(async (run) => {
          const ids: number[] = [];
          for await (const { token } of run) ids.push(token);
          if (run.stopToken !== undefined) ids.push(run.stopToken);
          return { ids, finished: run.finishReason === 'stop' };
        }),
      );
      return { completions: rows.map((r) => r.ids), finished: rows.map((r) => r.finished) };
    }),
  );
}
