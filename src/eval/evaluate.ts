/**
 * Evaluation of a policy on held-out problems by sampling (R1 paper 3): k samples per problem,
 * scored by the task's exact verifier; per task pass@1 (mean over the k samples), pass@k and cons@k
 * (majority vote), plus the strict-format rate, mean response length and reflection-phrase rate.
 * The sampler is any function with the rollout contract of src/rl/rollout.ts (the Scheduler over a
 * CausalLM adapter), so the same code evaluates a DeepSeek-V3 checkpoint or a dense student.
 */
import { formatReward } from '../rewards/format.js';
import type { PromptTemplate } from '../rl/prompts.js';
import { reflectionCount } from '../rl/reflection.js';
import type { GroupRollout, SampleSettings } from '../rl/rollout.js';
import { isCorrect } from '../tasks/registry.js';
import type { Problem } from '../tasks/types.js';
import type { Rng } from '../tensor/index.js';
import { parseCompletion } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { answerKey, majorityIndex, passAtK } from './passk.js';

/** Samples n completions of each prompt. */
export type GroupSampler = (
  prompts: readonly (readonly number[])[],
  n: number,
  s: SampleSettings,
  rng: Rng,
) => Promise<GroupRollout[]>;

export interface EvalOptions {
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  template: PromptTemplate;
  tokenizer: Pick<Tokenizer, 'encode' | 'decode' | 'eosId' | 'addedTokens' | 'vocabSize'>;
  rng: Rng;
  /** Prompts sampled together in one batch (default 4). */
  promptsPerBatch?: number;
  /** Called after each batch with problems done so far. */
  onProgress?: (done: number, total: number) => void;
}

/** One problem's k samples, scored. */
export interface ProblemResult {
  task: string;
  key: string;
  prompt: string;
  responses: string[];
  correct: boolean[];
  /** Strict R1 format (`formatReward`) per response. */
  formatted: boolean[];
  lengths: number[];
  voted: number;
}

/** Per-task figures. */
export interface TaskReport {
  task: string;
  problems: number;
  k: number;
  pass_at_1: number;
  pass_at_k: number;
  cons_at_k: number;
  format_rate: number;
  mean_length: number;
  reflection_rate: number;
}

/** Samples and scores every problem (k samples each). */
export async function sampleAndScore(
  sampler: GroupSampler,
  problems: readonly Problem[],
  o: EvalOptions,
): Promise<ProblemResult[]> {
  const tok = o.tokenizer,
    per = o.promptsPerBatch ?? 4,
    out: ProblemResult[] = [];
  const settings: SampleSettings = {
    temperature: o.temperature,
    topP: o.topP,
    topK: 0,
    maxNewTokens: o.maxNewTokens,
    stopTokens: tok.eosId === undefined ? [] : [tok.eosId],
    vocabLimit: tok.vocabSize,
  };
  for (let i = 0; i < problems.length; i += per) {
    const batch = problems.slice(i, i + per);
    const groups = await sampler(
      batch.map((p) => o.template.encode(tok, p)),
      o.k,
      settings,
      o.rng,
    );
    groups.forEach((g, j) => {
      const p = batch[j]!;
      const responses = g.completions.map(
        (ids, r) => o.template.responsePrefix + tok.decode(g.finished[r] ? ids.slice(0, -1) : ids),
      );
      const correct = responses.map((r) => isCorrect(p, r));
      const voted = majorityIndex(responses.map((r) => answerKey(p.task, parseCompletion(r).answer)));
      const formatted = responses.map((r) => formatReward({ problem: p, response: r }) === 1);
      out.push({
        task: p.task,
        key: p.key,
        prompt: p.prompt,
        responses,
        correct,
        formatted,
        lengths: g.completions.map((c) => c.length),
        voted,
      });
    });
    o.onProgress?.(Math.min(i + per, problems.length), problems.length);
  }
  return out;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Per-task reports (tasks in order of first appearance) plus an "all" row. */
export function summarize(results: readonly ProblemResult[]): TaskReport[] {
  const tasks = [...new Set(results.map((r) => r.task))];
  const row = (task: string, rs: readonly ProblemResult[]): TaskReport => {
    const k = rs[0]?.responses.length ?? 0;
    return {
      task,
      problems: rs.length,
      k,
      pass_at_1: mean(rs.map((r) => mean(r.correct.map(Number)))),
      pass_at_k: mean(rs.map((r) => passAtK(k, r.correct.filter(Boolean).length, k))),
      cons_at_k: mean(rs.map((r) => (r.voted >= 0 && r.correct[r.voted] ? 1 : 0))),
      format_rate: mean(rs.flatMap((r) => r.formatted.map(Number))),
      mean_length: mean(rs.flatMap((r) => r.lengths)),
      reflection_rate: mean(rs.flatMap((r) => r.responses.map(reflectionCount))),
    };
  };
  const out = tasks.map((t) =>
    row(
      t,
      results.filter((r) => r.task === t),
    ),
  );
  if (tasks.length > 1) out.push(row('all', results));
  return out;
}
