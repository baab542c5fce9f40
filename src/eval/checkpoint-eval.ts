/**
 * The R1-Zero experiment's view of the one evaluator (src/eval/model-eval.ts): the same evaluation,
 * returned in the shape its results page and cached eval-*.json files use (`options` as given,
 * `reports` = the rows, `results` = every sample). The greedy pass is off unless asked for, as the
 * R1-Zero page reports sampled figures only; progress is reported per phase ("sampled", "greedy").
 */
import type { ProblemResult } from './evaluate.js';
import { evaluateModel, type EvalRow, type ModelEvalOptions } from './model-eval.js';

/** The evaluator's options (src/eval/model-eval.ts) without the general scenarios; `greedy` defaults to false here. */
export type CheckpointEvalOptions = Omit<ModelEvalOptions, 'general'>;

export interface CheckpointEval {
  model: string;
  options: Omit<CheckpointEvalOptions, 'onProgress'>;
  /** Per task and "all" (src/eval/model-eval.ts rows; greedy_accuracy is NaN without the greedy pass). */
  reports: EvalRow[];
  results: ProblemResult[];
  greedy?: ProblemResult[];
}

/** Runs the evaluation of a checkpoint (any kind) on a dataset's held-out splits. */
export async function evaluateCheckpoint(o: CheckpointEvalOptions): Promise<CheckpointEval> {
  const r = await evaluateModel({ ...o, greedy: o.greedy === true });
  const { onProgress: _p, ...options } = o;
  return {
    model: r.model,
    options,
    reports: r.rows,
    results: r.results,
    ...(r.greedy.length ? { greedy: r.greedy } : {}),
  };
}
