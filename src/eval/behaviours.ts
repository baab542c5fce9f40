/**
 * Behaviour counters of one response (issue 14; the behaviours of Cognitive Behaviors, Gandhi et al.
 * 2025: verification, backtracking, subgoal setting, backward chaining), read from the trace grammar
 * of the R1-Zero corpus (src/tasks/countdown-search.ts, src/tasks/arithmetic-steps.ts) and from the
 * first corpus' "That works." traces:
 * - wrongDecisions: comparisons that decide against the numbers they wrote (a value unlike the goal
 *   called equal, or the goal itself called no), whatever the arithmetic before them;
 * - candidates: computations compared with a goal ("91 + 17 = 108 vs 74: 1 7, no." / "... = 74 vs 74: 7 7,
 *   4 4, equal!"; iteration 3 wrote "... vs 74, no.", the corpora before it "91 + 17 = 108, not 74.");
 *   distinctCandidates counts different (computation, goal) pairs, operands of + and * unordered;
 * - verifications: check lines ("Check ...: ... Correct.", "Check: ... Wrong, back.", arithmetic checks);
 * - backtracks: "Back to ..." and "Wrong, back." lines; subgoals: "Need 57 from ..." lines;
 * - successClaim: the response ends claiming its equation reaches the target ("equals <target>!", a
 *   passed check, "That works."; a claim withdrawn by a failed check or a give-up does not count, it
 *   is a retraction); falseClaim: it claims so and its answer does not verify; falseClaimCause: on
 *   countdown, the first fault of the search behind a false claim (src/eval/claim-cause.ts);
 *   checkFault: when that cause is the answer, where its final check went wrong (src/eval/check-fault.ts);
 * - arithmeticSlips: written computations "a op b = r" whose r (or the split before it, "= 80 + 11 =") is
 *   wrong, and wrong facts in the columns of an arithmetic tape;
 * - mode: the solver mode the response looks like (see `classify`).
 */
import { isOffTaskReply } from '../tasks/off-task.js';
import {
  CLAIM_CAUSES,
  type ClaimCause,
  STEP as COMPUTATION,
  claimCause,
  partsValue,
  stepValue as value,
} from './claim-cause.js';
import { CHECK_FAULTS, type CheckFault, checkFault } from './check-fault.js';
import { getTask } from '../tasks/registry.js';
import type { Problem } from '../tasks/types.js';
import { parseCompletion } from '../tokenizer/chat.js';

/** What one response does. */
export interface Behaviours {
  candidates: number;
  /** Comparisons whose decision contradicts the numbers written ("= 90 vs 76, equal!", "= 76 vs 76, no."). */
  wrongDecisions: number;
  distinctCandidates: number;
  verifications: number;
  backtracks: number;
  subgoals: number;
  successClaim: boolean;
  falseClaim: boolean;
  /** Countdown: the first fault behind a false claim; null when the claim is true or absent. */
  falseClaimCause: ClaimCause | null;
  /** Countdown, a false claim whose cause is the answer: the first fault of its final check; else null. */
  checkFault: CheckFault | null;
  retractions: number;
  gaveUp: boolean;
  arithmeticSlips: number;
  correct: boolean;
  mode: string;
}

/** A column of an arithmetic tape ("481 + 1926, carry 0: 1 + 6 + 0 = 7, digits 75."); its facts follow the colon. */
const TAPE = /^\d+ [-+*] \d+, (?:carry|borrow) \d+: (.*)$/;
const FACT = /(\d+) ([-+*]) (\d+)(?: \+ (\d+))? = (\d+)/g;

/** Wrong facts in one tape column. */
function tapeSlips(facts: string): number {
  let n = 0;
  for (const f of facts.matchAll(FACT)) {
    const v = value(Number(f[1]), f[2]!, Number(f[3])) + Number(f[4] ?? 0);
    if (v !== Number(f[5])) n++;
  }
  return n;
}
/**
 * The comparison after a computation: iteration 4's digit pairs "= 108 vs 74: 1 7, no." / "= 74 vs 74:
 * 7 7, 4 4, equal!", iteration 3's "= 108 vs 74, no.", or the earlier corpora's ", not 74." / ",
 * equals 74!" (kept so archived responses read the same).
 */
const COMPARED = /^(?:, (not|equals) (\d+)[.!]| vs (\d+)(?:: [\d-] [\d-](?:, [\d-] [\d-])*)?, (no|equal)[.!])/;

/** A comparison as (claims equal, goal), or null when the rest of the line is not one. */
function compared(rest: string): { equal: boolean; goal: number } | null {
  const c = COMPARED.exec(rest);
  if (!c) return null;
  return c[1] !== undefined
    ? { equal: c[1] === 'equals', goal: Number(c[2]) }
    : { equal: c[4] === 'equal', goal: Number(c[3]) };
}

/** Counts the behaviours of `response` (the completion text) to `problem`. */
export function countBehaviours(problem: Problem, response: string): Behaviours {
  let reasoning = response,
    answer = '';
  try {
    const parsed = parseCompletion(response);
    reasoning = parsed.reasoning || response;
    answer = parsed.answer;
  } catch {
    // unparseable: count what is written, the answer is empty
  }
  let correct = false;
  try {
    correct = getTask(problem.task).verify(problem, answer);
  } catch {
    correct = problem.task === 'off-task' && isOffTaskReply(answer);
  }
  const target = typeof problem.data.target === 'number' ? problem.data.target : undefined;
  const b: Behaviours = {
    candidates: 0,
    wrongDecisions: 0,
    distinctCandidates: 0,
    verifications: 0,
    backtracks: 0,
    subgoals: 0,
    successClaim: false,
    falseClaim: false,
    falseClaimCause: null,
    checkFault: null,
    retractions: 0,
    gaveUp: false,
    arithmeticSlips: 0,
    correct,
    mode: 'other',
  };
  const distinct = new Set<string>();
  let backward = false,
    places = 0,
    prevEquals = false;
  for (const raw of reasoning.split('\n')) {
    const line = raw.trim();
    const m = COMPUTATION.exec(line);
    if (m) {
      const [x, op, y, r, rest] = [Number(m[1]), m[2]!, Number(m[3]), Number(m[5]), m[6]!];
      if (value(x, op, y) !== r || (m[4] !== undefined && partsValue(m[4]) !== r)) b.arithmeticSlips++;
      const c = compared(rest);
      if (c) {
        b.candidates++;
        if (c.equal !== (r === c.goal)) b.wrongDecisions++;
        const [lo, hi] = op === '+' || op === '*' ? [Math.min(x, y), Math.max(x, y)] : [x, y];
        distinct.add(`${lo}${op}${hi}->${c.goal}`);
        if (c.equal && target !== undefined && c.goal === target) b.successClaim = true;
      }
    }
    if (/^Check\b/.test(line)) {
      b.verifications++;
      if (/Correct\.$/.test(line) && problem.task === 'countdown') b.successClaim = true;
    }
    if (/^Back to\b/.test(line) || /Wrong, back\.$/.test(line)) b.backtracks++;
    if (/Wrong, back\.$/.test(line)) {
      if (prevEquals) b.retractions++;
      b.successClaim = false;
    }
    const tape = TAPE.exec(line);
    if (tape) b.arithmeticSlips += tapeSlips(tape[1]!);
    if (line !== '') prevEquals = m !== null && compared(m[6]!)?.equal === true;
    if (/^Need \d+ from\b/.test(line)) b.subgoals++;
    if (/^Work back from\b/.test(line)) backward = true;
    if (/^No more tries\b/.test(line)) {
      b.gaveUp = true;
      if (b.successClaim) b.retractions++;
      b.successClaim = false;
    }
    if (/That works\.$/.test(line)) b.successClaim = true;
    if (tape || /^Place \d+:/.test(line) || /^So \d+ [-+*] \d+ = /.test(line)) places++;
  }
  b.distinctCandidates = distinct.size;
  b.falseClaim = b.successClaim && !correct;
  const numbers = problem.data.numbers;
  if (b.falseClaim && problem.task === 'countdown' && target !== undefined && Array.isArray(numbers)) {
    const board = numbers.map(Number);
    b.falseClaimCause = claimCause(board, target, reasoning);
    if (b.falseClaimCause === 'answer') b.checkFault = checkFault(board, target, response);
  }
  b.mode = classify(problem, b, backward, places, answer);
  return b;
}

/**
 * The mode a response looks like. Countdown: `guess-quick` (gave up after at most 2 candidates),
 * `guess-bounded` (after 3-8), `guess-long` (after more), `unchecked` (claims success, no check),
 * `backward` (works back from the target and checks), `verified` (checks its solution), `steps`
 * (a solution path with no candidates compared: the optimal-path style). Arithmetic: `direct` (no
 * column steps and no closing "So ..." line), `columns`, `checked`. Any task: `off-task` for the honest off-task reply.
 */
function classify(problem: Problem, b: Behaviours, backward: boolean, places: number, answer: string): string {
  if (isOffTaskReply(answer)) return 'off-task';
  if (problem.task === 'arithmetic') return places === 0 ? 'direct' : b.verifications > 0 ? 'checked' : 'columns';
  if (problem.task !== 'countdown') return 'other';
  if (b.gaveUp) return b.candidates <= 2 ? 'guess-quick' : b.candidates <= 8 ? 'guess-bounded' : 'guess-long';
  const checked = b.verifications > 0 && b.successClaim;
  if (checked) return backward ? 'backward' : 'verified';
  if (b.successClaim) return 'unchecked';
  if (b.candidates === 0 && answer !== '') return 'steps';
  return 'other';
}

/** Means and shares over many responses (for eval pages and RL curves). */
export interface BehaviourSummary {
  responses: number;
  candidates: number;
  /** Share of comparisons whose decision contradicts the numbers written. */
  wrongDecisionShare: number;
  distinctCandidates: number;
  verifications: number;
  backtracks: number;
  subgoals: number;
  /** Withdrawn claims per response (a check that caught a slip: the "aha" of the corpus). */
  retractions: number;
  /** Share of responses that claim success. */
  successClaims: number;
  /** Share of success claims that are false. */
  falseClaimShare: number;
  /** Countdown: the share of false claims by the first fault behind them (src/eval/claim-cause.ts). */
  falseClaimCauses: Record<ClaimCause, number>;
  /** Countdown: false claims whose cause is the answer (a count). */
  answerCauseClaims: number;
  /** The share of those by the first fault of their final check (src/eval/check-fault.ts). */
  checkFaults: Record<CheckFault, number>;
  arithmeticSlips: number;
  /** Per mode: share of responses and accuracy within the mode. */
  modes: Record<string, { share: number; accuracy: number }>;
}

/**
 * The share of the non-null labels that each kind has (all 0 without any): the causes of false
 * claims, the faults of their final checks.
 */
function shares<K extends string>(labels: readonly (K | null)[], kinds: readonly K[]): Record<K, number> {
  const labelled = labels.filter((x) => x !== null);
  const out = {} as Record<K, number>;
  for (const k of kinds) out[k] = labelled.length ? labelled.filter((x) => x === k).length / labelled.length : 0;
  return out;
}

/** Summarises behaviour counts (means per response; shares in [0, 1]). */
export function summariseBehaviours(all: readonly Behaviours[]): BehaviourSummary {
  const n = all.length;
  const mean = (f: (b: Behaviours) => number) => (n ? all.reduce((s, b) => s + f(b), 0) / n : 0);
  const claims = all.filter((b) => b.successClaim);
  const ratio = (a: number, b: number) => (b ? a / b : 0);
  const modes: Record<string, { share: number; accuracy: number }> = {};
  for (const mode of new Set(all.map((b) => b.mode))) {
    const inMode = all.filter((b) => b.mode === mode);
    modes[mode] = { share: inMode.length / n, accuracy: inMode.filter((b) => b.correct).length / inMode.length };
  }
  return {
    responses: n,
    candidates: mean((b) => b.candidates),
    wrongDecisionShare: ratio(
      all.reduce((s, b) => s + b.wrongDecisions, 0),
      all.reduce((s, b) => s + b.candidates, 0),
    ),
    distinctCandidates: mean((b) => b.distinctCandidates),
    verifications: mean((b) => b.verifications),
    backtracks: mean((b) => b.backtracks),
    subgoals: mean((b) => b.subgoals),
    retractions: mean((b) => b.retractions),
    successClaims: claims.length / (n || 1),
    falseClaimShare: claims.length ? claims.filter((b) => b.falseClaim).length / claims.length : 0,
    falseClaimCauses: shares(
      all.map((b) => b.falseClaimCause),
      CLAIM_CAUSES,
    ),
    answerCauseClaims: all.filter((b) => b.checkFault !== null).length,
    checkFaults: shares(
      all.map((b) => b.checkFault),
      CHECK_FAULTS,
    ),
    arithmeticSlips: mean((b) => b.arithmeticSlips),
    modes,
  };
}

/** One problem's scored samples, as the evaluator's full report holds them (src/eval/evaluate.ts). */
export interface ScoredSamples {
  key: string;
  responses: readonly string[];
  lengths: readonly number[];
}

/** Behaviours and lengths of one group of responses (a task tier). */
export interface BehaviourGroup extends BehaviourSummary {
  group: string;
  meanLength: number;
  meanLengthCorrect: number;
  meanLengthWrong: number;
  /** Share of responses at the token limit (truncated), when the limit is given. */
  truncated?: number;
}

/**
 * Behaviour summaries per task tier ("countdown/4", ...) and over everything ("all") of an
 * evaluation's samples; `problems` gives each key its problem (the held-out split files).
 */
export function behaviourReport(
  results: readonly ScoredSamples[],
  problems: ReadonlyMap<string, Problem>,
  maxNewTokens?: number,
): BehaviourGroup[] {
  const groups = new Map<string, Array<{ b: Behaviours; length: number }>>();
  for (const r of results) {
    const p = problems.get(r.key);
    if (!p) throw new Error(`behaviour report: no held-out problem has the key ${JSON.stringify(r.key)}`);
    r.responses.forEach((text, i) => {
      const row = { b: countBehaviours(p, text), length: r.lengths[i] ?? 0 };
      for (const g of ['all', `${p.task}/${p.difficulty}`]) {
        const list = groups.get(g) ?? [];
        list.push(row);
        groups.set(g, list);
      }
    });
  }
  const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return [...groups.entries()].map(([group, rows]) => ({
    group,
    ...summariseBehaviours(rows.map((r) => r.b)),
    meanLength: mean(rows.map((r) => r.length)),
    meanLengthCorrect: mean(rows.filter((r) => r.b.correct).map((r) => r.length)),
    meanLengthWrong: mean(rows.filter((r) => !r.b.correct).map((r) => r.length)),
    ...(maxNewTokens ? { truncated: rows.filter((r) => r.length >= maxNewTokens).length / rows.length } : {}),
  }));
}
