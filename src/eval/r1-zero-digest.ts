/**
 * The committed summary of one R1-Zero evaluation (issue 14: "commit the raw results behind every
 * figure"): the full report of `deepseek-ts eval` / an eval stage holds every response (megabytes,
 * kept under runs/); its digest keeps what the results page and summary.json are computed from, so
 * every figure can be recomputed from the repository:
 * - the evaluator's rows per task and "all" (src/eval/model-eval.ts);
 * - rows per task tier (countdown/4 = 3 numbers, countdown/5 = 4 numbers, arithmetic/4), and the
 *   headline: the mean over the three reasoning tiers, each weighted equally (protocol section 7);
 * - the behaviour report of the sampled and of the greedy responses (src/eval/behaviours.ts);
 * - per problem: correct samples of k, mean length, mean distinct candidates, the greedy outcome
 *   (for "problems the base never solved" and "candidates on problems the base got wrong").
 */
import { behaviourReport, type BehaviourGroup, countBehaviours } from './behaviours.js';
import type { ProblemResult } from './evaluate.js';
import type { ModelEval, EvalRow } from './model-eval.js';
import { passAtK } from './passk.js';
import type { Problem } from '../tasks/types.js';

/** The tiers whose equal-weighted mean is the headline figure. */
export const HEADLINE_TIERS = ['countdown/4', 'countdown/5', 'arithmetic/4'] as const;

/** Figures of one task tier. */
export interface TierRow {
  tier: string;
  problems: number;
  k: number;
  pass_at_1: number;
  pass_at_k: number;
  cons_at_k: number;
  /** NaN (null in JSON) when the evaluation had no greedy pass. */
  greedy_accuracy: number;
  mean_length: number;
  mean_length_correct: number;
  truncated: number;
}

/** One held-out problem's outcome. */
export interface ProblemDigest {
  key: string;
  tier: string;
  k: number;
  correct: number;
  mean_length: number;
  mean_distinct_candidates: number;
  greedy?: boolean;
}

export interface EvalDigest {
  label: string;
  model: string;
  settings: ModelEval['settings'];
  rows: EvalRow[];
  tiers: TierRow[];
  /** Means over HEADLINE_TIERS (each weighted equally). */
  headline: { pass_at_1: number; cons_at_k: number; greedy_accuracy: number; mean_length: number };
  behaviours: BehaviourGroup[];
  greedy_behaviours: BehaviourGroup[];
  problems: ProblemDigest[];
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);

/** The mean of `f` over HEADLINE_TIERS, each weighted equally (NaN unless all three are there). */
export function headlineMean(tiers: readonly TierRow[], f: (t: TierRow) => number): number {
  const head = tiers.filter((t) => (HEADLINE_TIERS as readonly string[]).includes(t.tier));
  return head.length === HEADLINE_TIERS.length ? mean(head.map(f)) : Number.NaN;
}
const tierOf = (p: Problem) => `${p.task}/${p.difficulty}`;

/** Digests a full evaluation report; `problems` maps each held-out key to its problem. */
export function digestEval(
  e: Pick<ModelEval, 'model' | 'settings' | 'rows' | 'results' | 'greedy'> & { label?: string },
  problems: ReadonlyMap<string, Problem>,
): EvalDigest {
  const problemOf = (r: ProblemResult) => {
    const p = problems.get(r.key);
    if (!p) throw new Error(`eval digest: no held-out problem has the key ${JSON.stringify(r.key)} (${r.task})`);
    return p;
  };
  const limit = e.settings.maxNewTokens;
  const greedyByKey = new Map(e.greedy.map((g) => [g.key, g]));
  const digests: ProblemDigest[] = e.results.map((r) => {
    const p = problemOf(r);
    const g = greedyByKey.get(r.key);
    return {
      key: r.key,
      tier: tierOf(p),
      k: r.responses.length,
      correct: r.correct.filter(Boolean).length,
      mean_length: mean(r.lengths),
      mean_distinct_candidates: mean(r.responses.map((text) => countBehaviours(p, text).distinctCandidates)),
      ...(g ? { greedy: g.correct[0] === true } : {}),
    };
  });
  const tiers: TierRow[] = [];
  for (const tier of [...new Set(digests.map((d) => d.tier))].sort()) {
    const rs = e.results.filter((r) => tierOf(problemOf(r)) === tier);
    const gs = e.greedy.filter((r) => tierOf(problemOf(r)) === tier);
    const k = rs[0]?.responses.length ?? 0;
    const lengths = rs.flatMap((r) => r.lengths);
    tiers.push({
      tier,
      problems: rs.length,
      k,
      pass_at_1: mean(rs.map((r) => mean(r.correct.map(Number)))),
      pass_at_k: mean(rs.map((r) => passAtK(k, r.correct.filter(Boolean).length, k))),
      cons_at_k: mean(rs.map((r) => (r.voted >= 0 && r.correct[r.voted] ? 1 : 0))),
      greedy_accuracy: mean(gs.map((g) => Number(g.correct[0]))),
      mean_length: mean(lengths),
      mean_length_correct: mean(rs.flatMap((r) => r.lengths.filter((_, i) => r.correct[i]))),
      truncated: mean(lengths.map((n) => Number(n >= limit))),
    });
  }
  const headMean = (f: (t: TierRow) => number) => headlineMean(tiers, f);
  return {
    label: e.label ?? '',
    model: e.model,
    settings: e.settings,
    rows: e.rows,
    tiers,
    headline: {
      pass_at_1: headMean((t) => t.pass_at_1),
      cons_at_k: headMean((t) => t.cons_at_k),
      greedy_accuracy: headMean((t) => t.greedy_accuracy),
      mean_length: headMean((t) => t.mean_length),
    },
    behaviours: behaviourReport(e.results, problems, limit),
    greedy_behaviours: e.greedy.length ? behaviourReport(e.greedy, problems, limit) : [],
    problems: digests,
  };
}
