/**
 * Where the final check of a countdown response goes wrong when its success claim is false and the
 * search behind it was sound (issue 14: `falseClaimCause` 'answer', src/eval/claim-cause.ts).
 *
 * The final check writes the solution back from the step claimed equal, one made number at a time
 * replaced by the step that made it (src/tasks/countdown-search.ts, `Steps.chain`). Two grammars:
 * - iteration 6: "Check: 45 = 60 - 15 = (99 - 39) - 15 = ((16 + 83) - 39) - 15. Correct.";
 * - iteration 7, each replaced number named with its step first:
 *   "Check: 45 = 60 - 15, 60 = 99 - 39: (99 - 39) - 15, 99 = 16 + 83: ((16 + 83) - 39) - 15. Correct."
 * Every term should keep the target's value. The first term that does not is the fault, and its kind
 * says how the replacement went wrong:
 * - `first term`: the step claimed equal is written wrong;
 * - `wrong slot`: the step put in makes another number of the term before, not the one it replaced;
 * - `wrong step`: the step put in makes none of the term's numbers (iteration 7: it stands where the
 *   named number stood, but it is not the named step);
 * - `named step wrong` (iteration 7): the named step does not make the number it names;
 * - `named elsewhere` (iteration 7): a right named step, put in for a number other than the named one;
 * - `term rewritten`: more or other than one number changed between the two terms;
 * - `answer differs`: every term keeps the target, and the answer is not the last term;
 * - `board`: every term keeps the target and the answer is the last term, which does not use the
 *   board's numbers once each;
 * - `no check`: the response has no final check ("Check: ... Correct."), or one this grammar cannot read;
 * - `not false`: none of these (the claim is false for a reason this reading does not see).
 * Iteration 6's base put 119 of its 149 answer-cause false claims in `wrong slot`
 * (docs/results/r1-zero/iteration-6/check-faults-base-primed.json), the reason for iteration 7's grammar.
 */
import { evalExpr } from '../tasks/expr.js';
import { toNumber } from '../tasks/rational.js';

export type CheckFault =
  | 'first term'
  | 'wrong slot'
  | 'wrong step'
  | 'named step wrong'
  | 'named elsewhere'
  | 'term rewritten'
  | 'answer differs'
  | 'board'
  | 'no check'
  | 'not false';
export const CHECK_FAULTS: readonly CheckFault[] = [
  'first term',
  'wrong slot',
  'wrong step',
  'named step wrong',
  'named elsewhere',
  'term rewritten',
  'answer differs',
  'board',
  'no check',
  'not false',
];

/** One term of a final check: the expression, and in iteration 7 the number named and its step. */
export interface CheckTerm {
  term: string;
  named?: number;
  step?: string;
}

/** The value of an expression of integers, + - * / and parentheses (NaN when it is not one). */
export function expressionValue(expr: string): number {
  const p = evalExpr(expr, { allowUnary: false });
  return p ? toNumber(p.value) : Number.NaN;
}

const numbersOf = (expr: string) => (expr.match(/\d+/g) ?? []).map(Number);
const tokensOf = (expr: string) => expr.match(/\d+|[()+\-*/]/g) ?? [];

/**
 * The one step "(a op b)" of `cur` that stands where `prev` had a single number: that number and
 * the step's value; null when `cur` is not `prev` with one number replaced by a step.
 */
function replacement(prev: string, cur: string): { replaced: number; value: number } | null {
  const before = tokensOf(prev);
  for (const m of cur.matchAll(/\((\d+ [-+*/] \d+)\)/g)) {
    const v = expressionValue(m[1]!);
    const at = tokensOf(cur.slice(0, m.index)).length;
    const collapsed = tokensOf(`${cur.slice(0, m.index)}${v}${cur.slice(m.index! + m[0].length)}`);
    if (collapsed.length !== before.length) continue;
    const diff = collapsed.flatMap((t, i) => (t !== before[i] ? [i] : []));
    if (diff.length === 1 && diff[0] === at && /^\d+$/.test(before[at]!))
      return { replaced: Number(before[at]), value: v };
  }
  return null;
}

/**
 * The terms of a final check line ("Check: <target> = ... . Correct."), outermost first, in either
 * grammar; null when the line is not one.
 */
export function readCheckTerms(line: string): CheckTerm[] | null {
  const m = /^Check: (\d+) = (.+)\. Correct\.$/.exec(line.trim());
  if (!m) return null;
  const body = m[2]!;
  if (!body.includes(': ')) return body.split(' = ').map((term) => ({ term }));
  const [first, ...rest] = body.split(', ');
  const terms: CheckTerm[] = [{ term: first! }];
  for (const part of rest) {
    const n = /^(\d+) = ([^:]+): (.+)$/.exec(part);
    if (!n) return null;
    terms.push({ named: Number(n[1]), step: n[2]!, term: n[3]! });
  }
  return terms;
}

/** The final check line of a response: the last "Check: ... Correct." line (caught slips end "Wrong, back."). */
export function finalCheck(response: string): string | undefined {
  return response
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^Check: .*\. Correct\.$/.test(l))
    .at(-1);
}

/** The kind of the first fault of the final check of a countdown `response` over `numbers` for `target`. */
export function checkFault(numbers: readonly number[], target: number, response: string): CheckFault {
  const line = finalCheck(response);
  const terms = line ? readCheckTerms(line) : null;
  if (!terms) return 'no check';
  const k = terms.findIndex((t) => expressionValue(t.term) !== target);
  if (k === 0) return 'first term';
  if (k > 0) {
    const { named, step } = terms[k]!;
    if (named !== undefined && expressionValue(step!) !== named) return 'named step wrong';
    const put = replacement(terms[k - 1]!.term, terms[k]!.term);
    if (!put) return 'term rewritten';
    if (named !== undefined) return put.replaced !== named ? 'named elsewhere' : 'wrong step';
    return numbersOf(terms[k - 1]!.term).includes(put.value) ? 'wrong slot' : 'wrong step';
  }
  const answer = /<answer>(.*?)<\/answer>/s.exec(response)?.[1]?.trim();
  if (answer !== terms.at(-1)!.term.trim()) return 'answer differs';
  const sorted = (xs: readonly number[]) => [...xs].sort((a, b) => a - b).join(' ');
  // a sound check and an answer that uses the board's numbers once each would make a true claim
  return sorted(numbersOf(answer)) === sorted(numbers) ? 'not false' : 'board';
}
