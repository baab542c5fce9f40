/**
 * Multi-digit arithmetic (addition, subtraction, multiplication) with exact BigInt ground truth.
 * The solver writes the schoolbook method: column addition with carries, column subtraction with
 * borrows, long multiplication by partial products; the verifier wants the exact integer.
 * Level 4 (the R1-Zero corpus, issue 14): + and - of 2-3 digit operands, * of a 2-3 digit by a 1-2
 * digit number, solved in the digit tapes of src/tasks/arithmetic-steps.ts with a
 * check by the inverse operation (English; a Chinese prompt gets the first corpus's steps).
 */
import { arithmeticLines } from './arithmetic-steps.js';
import { parseNumberAnswer } from './expr.js';
import type { Rng } from './rng.js';
import { checkDifficulty, type Lang, type Problem, type Solution, type Task } from './types.js';

const LEVELS = [1, 2, 3, 4] as const;
const DIGITS: Record<number, [number, number]> = { 1: [2, 3], 2: [3, 5], 3: [5, 8], 4: [2, 3] };
/** The level whose solutions are written in digit-by-digit column steps. */
export const COLUMN_LEVEL = 4;
const OPS = ['+', '-', '*'] as const;
type Op = (typeof OPS)[number];

const TEXT = {
  en: {
    prompt: (a: string, op: string, b: string) =>
      `Calculate ${a} ${op} ${b}. Show your work in <think> </think> tags and give the final number in <answer> </answer> tags.`,
    col: (k: number, x: number, y: number, c: number, s: number, w: number, nc: number) =>
      `Place ${k}: ${x} + ${y} + carry ${c} = ${s}, write ${w}, carry ${nc}.`,
    bcol: (k: number, x: number, y: number, br: number, w: number, nb: number) =>
      `Place ${k}: ${x} - ${br} - ${y}${nb ? ` (borrow 10)` : ''} = ${w}${nb ? ', borrow 1' : ''}.`,
    swap: (a: string, b: string) => `${a} is smaller than ${b}, so compute ${b} - ${a} and make it negative.`,
    part: (a: string, d: number, k: number, p: string) => `${a} * ${d} (place ${k}) = ${p}.`,
    sum: (parts: string[], r: string) => `Add the partial products: ${parts.join(' + ')} = ${r}.`,
    final: (e: string, r: string) => `So ${e} = ${r}.`,
  },
  zh: {
    prompt: (a: string, op: string, b: string) =>
      `计算 ${a} ${op} ${b}。请在 <think> </think> 中写出计算过程，并在 <answer> </answer> 中给出最终结果。`,
    col: (k: number, x: number, y: number, c: number, s: number, w: number, nc: number) =>
      `第 ${k} 位：${x} + ${y} + 进位 ${c} = ${s}，写 ${w}，进位 ${nc}。`,
    bcol: (k: number, x: number, y: number, br: number, w: number, nb: number) =>
      `第 ${k} 位：${x} - ${br} - ${y}${nb ? '（借 10）' : ''} = ${w}${nb ? '，借位 1' : ''}。`,
    swap: (a: string, b: string) => `${a} 比 ${b} 小，所以先算 ${b} - ${a}，结果取负。`,
    part: (a: string, d: number, k: number, p: string) => `${a} * ${d}（第 ${k} 位）= ${p}。`,
    sum: (parts: string[], r: string) => `把部分积相加：${parts.join(' + ')} = ${r}。`,
    final: (e: string, r: string) => `所以 ${e} = ${r}。`,
  },
};

function randomDigits(rng: Rng, n: number): bigint {
  let s = String(rng.int(1, 9));
  for (let i = 1; i < n; i++) s += String(rng.int(0, 9));
  return BigInt(s);
}

const digitsOf = (x: bigint) => x.toString().split('').reverse().map(Number);

function addSteps(a: bigint, b: bigint, lang: Lang): string[] {
  const t = TEXT[lang],
    da = digitsOf(a),
    db = digitsOf(b),
    steps: string[] = [];
  let carry = 0;
  for (let k = 0; k < Math.max(da.length, db.length); k++) {
    const x = da[k] ?? 0,
      y = db[k] ?? 0,
      s = x + y + carry;
    steps.push(t.col(k + 1, x, y, carry, s, s % 10, Math.floor(s / 10)));
    carry = Math.floor(s / 10);
  }
  return steps;
}

function subSteps(a: bigint, b: bigint, lang: Lang): string[] {
  const t = TEXT[lang],
    da = digitsOf(a),
    db = digitsOf(b),
    steps: string[] = [];
  let borrow = 0;
  for (let k = 0; k < da.length; k++) {
    const x = da[k]!,
      y = db[k] ?? 0,
      raw = x - borrow - y;
    steps.push(t.bcol(k + 1, x, y, borrow, raw < 0 ? raw + 10 : raw, raw < 0 ? 1 : 0));
    borrow = raw < 0 ? 1 : 0;
  }
  return steps;
}

export const arithmetic: Task = {
  name: 'arithmetic',
  difficulties: LEVELS,
  defaultDifficulties: [1, 2, 3],

  generate(rng: Rng, difficulty: number, lang: Lang): Problem {
    checkDifficulty('arithmetic', difficulty, LEVELS);
    const [lo, hi] = DIGITS[difficulty]!;
    const op: Op = rng.pick(OPS);
    const a = randomDigits(rng, rng.int(lo, hi));
    const bDigits =
      op !== '*'
        ? rng.int(lo, hi)
        : difficulty === COLUMN_LEVEL
          ? rng.int(1, 2)
          : rng.int(Math.max(1, lo - 1), Math.max(1, hi - 2));
    const b = randomDigits(rng, bDigits);
    const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
    return {
      task: 'arithmetic',
      key: `arithmetic:${a}${op}${b}`,
      lang,
      difficulty,
      prompt: TEXT[lang].prompt(a.toString(), op, b.toString()),
      answer: r.toString(),
      data: { a: a.toString(), b: b.toString(), op },
    };
  },

  solve(problem: Problem): Solution {
    const t = TEXT[problem.lang],
      lang = problem.lang;
    const a = BigInt(problem.data.a as string),
      b = BigInt(problem.data.b as string),
      op = problem.data.op as Op;
    if (problem.difficulty === COLUMN_LEVEL && lang === 'en') {
      const lines = arithmeticLines(a, op, b, 'checked');
      return { steps: lines, answer: (op === '+' ? a + b : op === '-' ? a - b : a * b).toString() };
    }
    const steps: string[] = [];
    let r: bigint;
    if (op === '+') {
      r = a + b;
      for (const s of addSteps(a, b, lang)) steps.push(s);
    } else if (op === '-') {
      r = a - b;
      if (a < b) {
        steps.push(t.swap(a.toString(), b.toString()));
        for (const s of subSteps(b, a, lang)) steps.push(s);
      } else for (const s of subSteps(a, b, lang)) steps.push(s);
    } else {
      r = a * b;
      const parts: string[] = [];
      digitsOf(b).forEach((d, k) => {
        const p = a * BigInt(d) * 10n ** BigInt(k);
        parts.push(p.toString());
        steps.push(t.part(a.toString(), d, k + 1, p.toString()));
      });
      if (parts.length > 1) steps.push(t.sum(parts, r.toString()));
    }
    steps.push(t.final(`${a} ${op} ${b}`, r.toString()));
    return { steps, answer: r.toString() };
  },

  verify(problem: Problem, answer: string): boolean {
    const v = parseNumberAnswer(answer);
    return v !== null && v.d === 1n && v.n.toString() === problem.answer;
  },
};
