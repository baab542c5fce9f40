/**
 * Linear equations in one unknown, `a x + b = c x + d`, with integer coefficients and an integer
 * (easy levels) or fractional (hardest level) solution. The solver collects terms, divides and
 * reduces the fraction; the verifier accepts any exactly equal form ("x = -3/4", "-0.75").
 */
import { parseNumberAnswer } from './expr.js';
import { eq, rat, ratToString } from './rational.js';
import type { Rng } from './rng.js';
import { checkDifficulty, type Lang, type Problem, type Solution, type Task } from './types.js';

const LEVELS = [1, 2, 3] as const;

/** "3x + 5", "-x - 7", "2" (k x + m, terms omitted when zero). */
export function side(k: number, m: number): string {
  const xs = k === 0 ? '' : k === 1 ? 'x' : k === -1 ? '-x' : `${k}x`;
  if (m === 0) return xs || '0';
  if (!xs) return String(m);
  return `${xs} ${m < 0 ? '-' : '+'} ${Math.abs(m)}`;
}

const TEXT = {
  en: {
    prompt: (eqn: string) =>
      `Solve for x: ${eqn}. Show your work in <think> </think> tags and give the value of x in <answer> ` +
      `</answer> tags (an integer or a reduced fraction like -3/4).`,
    move: (k: number, m: number) => `Move the x terms to the left and the numbers to the right: ${side(k, 0)} = ${m}.`,
    divide: (k: number, m: number, r: string) => `Divide both sides by ${k}: x = ${m}/${k} = ${r}.`,
    check: (lhs: string, rhs: string) => `Check: the left side is ${lhs} and the right side is ${rhs}; they agree.`,
  },
  zh: {
    prompt: (eqn: string) =>
      `解方程：${eqn}，求 x。请在 <think> </think> 中写出解题过程，` +
      '并在 <answer> </answer> 中给出 x 的值（整数或最简分数，例如 -3/4）。',
    move: (k: number, m: number) => `把含 x 的项移到左边，常数移到右边：${side(k, 0)} = ${m}。`,
    divide: (k: number, m: number, r: string) => `两边同时除以 ${k}：x = ${m}/${k} = ${r}。`,
    check: (lhs: string, rhs: string) => `检验：左边等于 ${lhs}，右边等于 ${rhs}，相等。`,
  },
};

function nonZero(rng: Rng, max: number): number {
  const v = rng.int(1, max);
  return rng.chance(0.5) ? -v : v;
}

export const linear: Task = {
  name: 'linear',
  difficulties: LEVELS,

  generate(rng: Rng, difficulty: number, lang: Lang): Problem {
    checkDifficulty('linear', difficulty, LEVELS);
    const max = difficulty === 1 ? 9 : difficulty === 2 ? 15 : 30;
    let a: number, b: number, c: number, d: number;
    for (;;) {
      a = nonZero(rng, max);
      c = difficulty === 1 ? 0 : rng.int(-max, max);
      b = rng.int(-max * 3, max * 3);
      if (a === c) continue;
      if (difficulty < 3) {
        const x = rng.int(-max, max);
        d = (a - c) * x + b;
      } else d = rng.int(-max * 3, max * 3);
      break;
    }
    const eqn = `${side(a, b)} = ${side(c, d)}`;
    const x = rat(d - b, a - c);
    return {
      task: 'linear',
      key: `linear:${a},${b},${c},${d}`,
      lang,
      difficulty,
      prompt: TEXT[lang].prompt(eqn),
      answer: ratToString(x),
      data: { a, b, c, d },
    };
  },

  solve(problem: Problem): Solution {
    const t = TEXT[problem.lang];
    const { a, b, c, d } = problem.data as { a: number; b: number; c: number; d: number };
    const k = a - c,
      m = d - b;
    const x = rat(m, k);
    const r = ratToString(x);
    const value = (p: number, q: number) => ratToString(rat(BigInt(p) * x.n + BigInt(q) * x.d, x.d));
    return {
      steps: [t.move(k, m), t.divide(k, m, r), t.check(value(a, b), value(c, d))],
      answer: r,
    };
  },

  verify(problem: Problem, answer: string): boolean {
    const v = parseNumberAnswer(answer);
    const want = parseNumberAnswer(problem.answer);
    return v !== null && want !== null && eq(v, want);
  },
};
