/**
 * Sampling metrics of reasoning evaluation (R1 paper 3, "Evaluation Setup"):
 * - pass@1 as R1 reports it: k samples per problem at temperature 0.6 / top-p 0.95, and pass@1 is
 *   the mean correctness over the k samples, averaged over problems;
 * - pass@k with the unbiased estimator of Chen et al. 2021 (HumanEval): 1 - C(n-c, k) / C(n, k);
 * - cons@k: majority vote over the k answers (the most frequent answer, ties to the one seen
 *   first), correct when the voted answer is. Votes group answers by `answerKey`, computed from
 *   the answer alone (never from the ground truth): an expression is keyed by its exact value (and,
 *   for countdown, by the multiset of numbers it uses), anything else by its whitespace-collapsed
 *   text; empty answers do not vote.
 */
import { evalExpr } from '../tasks/expr.js';
import { ratToString } from '../tasks/rational.js';

/** Unbiased pass@k from n samples of which c are correct (k <= n). */
export function passAtK(n: number, c: number, k: number): number {
  if (
    !(
      Number.isInteger(n) &&
      Number.isInteger(c) &&
      Number.isInteger(k) &&
      n >= 1 &&
      c >= 0 &&
      c <= n &&
      k >= 1 &&
      k <= n
    )
  ) {
    throw new Error(`passAtK: need integers 0 <= c <= n and 1 <= k <= n, got n=${n}, c=${c}, k=${k}`);
  }
  if (n - c < k) return 1;
  let miss = 1; // C(n-c, k) / C(n, k) as a product, stable for large n
  for (let i = n - c + 1; i <= n; i++) miss *= 1 - k / i;
  return 1 - miss;
}

/** The vote key of an answer (see the file header); '' for an empty answer. */
export function answerKey(task: string, answer: string): string {
  const text = answer.trim().replace(/\s+/g, ' ');
  if (text === '') return '';
  const parsed = evalExpr(text.split('=')[0]!);
  if (!parsed) return `text:${text}`;
  const value = ratToString(parsed.value);
  if (task !== 'countdown') return `value:${value}`;
  return `value:${value}|uses:${parsed.literals.map(ratToString).sort().join(',')}`;
}

/** Majority vote: index of the first answer of the most frequent non-empty key, or -1 when all are empty. */
export function majorityIndex(keys: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const k of keys) if (k !== '') counts.set(k, (counts.get(k) ?? 0) + 1);
  let best = -1,
    bestCount = 0;
  keys.forEach((k, i) => {
    const n = counts.get(k) ?? 0;
    if (k !== '' && n > bestCount) {
      best = i;
      bestCount = n;
    }
  });
  return best;
}
