/**
 * Reasoning traces of mixed quality for the pretraining corpus. R1-Zero's "aha moment" (R1 paper
 * 2.2.4) is RL amplifying behaviour the base model already shows now and then; so besides clean
 * solutions, some traces slip on a step, notice it ("Wait, let me check that again.") and redo it,
 * and some slip and never notice, ending in a wrong answer (which the verifier then rejects).
 */
import type { Rng } from '../tasks/rng.js';
import type { Lang, Solution } from '../tasks/types.js';

export type TraceKind = 'clean' | 'corrected' | 'wrong';

/** A trace: reasoning lines joined, the final answer, and what kind it is. */
export interface Trace {
  kind: TraceKind;
  reasoning: string;
  answer: string;
}

const WAIT: Record<Lang, string[]> = {
  en: [
    'Wait, let me check that again.',
    'Hmm, wait. That does not look right; let me redo this step.',
    'Wait, I made a mistake there. Let me recompute.',
  ],
  // biome-ignore format: one string per line (CJK text is twice as wide as it counts)
  zh: [
    '等等，让我再检查一下。',
    '嗯，等一下，这一步好像不对，重新算一下。',
    '等等，我算错了，重新计算。',
  ],
};

/** The last "= number" in a step: index and text of the number. */
const RESULT = /= (-?\d+(?:\/\d+)?)(?!.*= -?\d)/;

/** A number near `s` but different from it (a plausible slip). */
export function perturbNumber(s: string, rng: Rng): string {
  if (s.includes('/')) {
    const [n, d] = s.split('/');
    return `${BigInt(n!) + BigInt(rng.pick([-1, 1, 2]))}/${d}`;
  }
  const v = BigInt(s);
  if (v >= 0n && v <= 9n) return String((Number(v) + rng.int(1, 9)) % 10);
  const delta = BigInt(rng.pick([-10, -2, -1, 1, 2, 10]));
  return (v + delta).toString();
}

/** A wrong version of a final answer: a shifted number, or for an expression a swapped operator. */
export function perturbAnswer(answer: string, rng: Rng): string {
  if (/^-?\d+(\/\d+)?$/.test(answer)) return perturbNumber(answer, rng);
  const ops = [...answer.matchAll(/ [-+*/] /g)];
  if (ops.length === 0) return `${answer} + 1`;
  const m = rng.pick(ops);
  const swap: Record<string, string> = { ' + ': ' - ', ' - ': ' + ', ' * ': ' + ', ' / ': ' * ' };
  return answer.slice(0, m.index) + swap[m[0]]! + answer.slice(m.index! + 3);
}

/** Builds a trace of the given kind from a correct solution. */
export function makeTrace(solution: Solution, lang: Lang, kind: TraceKind, rng: Rng): Trace {
  const steps = solution.steps.slice();
  const slippable = steps.map((s, i) => (RESULT.test(s) ? i : -1)).filter((i) => i >= 0);
  if (kind === 'clean' || slippable.length === 0) {
    if (kind === 'wrong') return { kind, reasoning: steps.join('\n'), answer: perturbAnswer(solution.answer, rng) };
    return { kind: 'clean', reasoning: steps.join('\n'), answer: solution.answer };
  }
  if (kind === 'corrected') {
    const i = rng.pick(slippable);
    const right = RESULT.exec(steps[i]!)![1]!;
    const wrongStep = steps[i]!.replace(RESULT, `= ${perturbNumber(right, rng)}`);
    steps.splice(i, 1, wrongStep, rng.pick(WAIT[lang]), steps[i]!);
    return { kind, reasoning: steps.join('\n'), answer: solution.answer };
  }
  const i = slippable[slippable.length - 1]!;
  const right = RESULT.exec(steps[i]!)![1]!;
  const wrongValue = perturbNumber(right, rng);
  steps[i] = steps[i]!.replace(RESULT, `= ${wrongValue}`);
  const tail = steps.slice(i + 1).map((s) => s.split(right).join(wrongValue));
  tail.forEach((s, j) => {
    steps[i + 1 + j] = s;
  });
  const answer = solution.answer === right ? wrongValue : perturbAnswer(solution.answer, rng);
  return { kind, reasoning: steps.join('\n'), answer };
}
