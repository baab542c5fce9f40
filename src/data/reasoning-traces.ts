/**
 * Traces of the R1-Zero corpus (issue 14): for countdown's search tiers and arithmetic's column
 * level, each training problem gets a trace written in one solver mode, drawn with shares fixed in
 * the data config (docs/results/r1-zero/protocol.md). The modes differ in thoroughness, so in
 * accuracy and length, and they can be told apart in the output (src/eval/behaviours.ts): that is
 * what lets RL shift a base from the hasty modes to the verified ones (Stream of Search, Gandhi et
 * al. 2024; Cognitive Behaviors, Gandhi et al. 2025). The same dials build the two control corpora
 * of the priming ablation: `optimal` alone (the solution path, no search, no check) and
 * `wrong_answers` (the same behaviours, with a slip that makes the claimed solution wrong).
 */
import { type ArithmeticMode, arithmeticLines } from '../tasks/arithmetic-steps.js';
import { COLUMN_LEVEL } from '../tasks/arithmetic.js';
import { SEARCH_LEVELS } from '../tasks/countdown.js';
import { type SearchMode, searchTrace } from '../tasks/countdown-search.js';
import type { Rng } from '../tasks/rng.js';
import type { Problem } from '../tasks/types.js';
import type { Trace } from './traces.js';

/** The trace dials of a data config (`traces`). */
export interface TraceDials {
  /** Shares of the countdown solver modes (normalised). */
  countdown: Readonly<Record<SearchMode, number>>;
  /** Shares of the arithmetic modes (normalised). */
  arithmetic: Readonly<Record<ArithmeticMode, number>>;
  /** Share of bounded/full/backward countdown traces with a slip that the final check catches. */
  caught_slips: number;
  /** Share of countdown traces (all modes but optimal) with a slip claimed as the solution. */
  wrong_answers: number;
}

/** A trace with the mode that wrote it and whether its answer is right. */
export interface ModeTrace extends Trace {
  mode: string;
  correct: boolean;
}

/** A key of `shares` drawn with probability proportional to its share. */
export function drawShare<K extends string>(shares: Readonly<Record<K, number>>, rng: Rng, what: string): K {
  const entries = Object.entries(shares) as Array<[K, number]>;
  const total = entries.reduce((s, [, v]) => s + v, 0);
  if (!(total > 0))
    throw new Error(`${what}: the mode shares must have a positive total, got ${JSON.stringify(shares)}`);
  let r = rng.next() * total;
  for (const [k, v] of entries) {
    if (r < v) return k;
    r -= v;
  }
  return entries.filter(([, v]) => v > 0).at(-1)![0];
}

/** True when `problem` is one the mode traces cover (English, a search tier or the column level). */
export function hasModeTrace(problem: Problem): boolean {
  if (problem.lang !== 'en') return false;
  if (problem.task === 'countdown') return SEARCH_LEVELS.includes(problem.difficulty);
  return problem.task === 'arithmetic' && problem.difficulty === COLUMN_LEVEL;
}

/** The trace of `problem` in a mode drawn from the dials. */
export function modeTrace(problem: Problem, dials: TraceDials, rng: Rng): ModeTrace {
  if (!hasModeTrace(problem)) throw new Error(`modeTrace: ${problem.key} (${problem.lang}) has no mode traces`);
  if (problem.task === 'arithmetic') {
    const mode = drawShare(dials.arithmetic, rng, 'traces.arithmetic');
    const a = BigInt(problem.data.a as string),
      b = BigInt(problem.data.b as string);
    const lines = arithmeticLines(a, problem.data.op as '+' | '-' | '*', b, mode);
    return { kind: 'clean', mode, correct: true, reasoning: lines.join('\n'), answer: problem.answer };
  }
  const mode = drawShare(dials.countdown, rng, 'traces.countdown');
  const thorough = mode === 'bounded' || mode === 'full' || mode === 'backward';
  const slip = mode !== 'optimal' && dials.wrong_answers > 0 && rng.chance(dials.wrong_answers);
  const caughtSlip = !slip && thorough && dials.caught_slips > 0 && rng.chance(dials.caught_slips);
  const t = searchTrace(problem.data.numbers as number[], problem.data.target as number, {
    mode,
    budget: mode === 'quick' ? rng.int(1, 2) : undefined,
    slip,
    caughtSlip,
    rng,
  });
  const caught = caughtSlip && t.lines.some((l) => l.endsWith('Wrong, back.'));
  const kind = !t.correct ? 'wrong' : caught ? 'corrected' : 'clean';
  return { kind, mode, correct: t.correct, reasoning: t.lines.join('\n'), answer: t.answer };
}
