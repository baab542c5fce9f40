/**
 * Countdown, as in TinyZero (Pan et al. 2025, the small-scale R1-Zero replication): given 3-4
 * numbers and a target, write an arithmetic expression with + - * / and parentheses that uses each
 * number exactly once and equals the target (within 1e-5). Problems are generated from a random
 * expression tree, so every problem has a solution; the solver searches pair combinations and
 * writes its attempts, failed ones included, as the reasoning.
 */
import { moves, searchTrace } from './countdown-search.js';
import { evalExpr } from './expr.js';
import { add, div, eq, mul, rat, ratToString, sub, toNumber, type Rational } from './rational.js';
import type { Rng } from './rng.js';
import { checkDifficulty, type Lang, type Problem, type Solution, type Task } from './types.js';

interface Item {
  v: Rational;
  e: string;
  leaf: boolean;
}

const LEVELS = [1, 2, 3, 4, 5] as const;
/** Levels 1-3: the first corpus. Levels 4-5, the search tiers: 3 or 4 numbers from 1-99, targets 10-100, built
 * with the step rules of the search traces (src/tasks/countdown-search.ts), which solve() writes. */
const SPEC: Record<number, { count: number; max: number; maxTarget: number; search?: boolean }> = {
  1: { count: 3, max: 20, maxTarget: 100 },
  2: { count: 4, max: 50, maxTarget: 200 },
  3: { count: 4, max: 99, maxTarget: 1000 },
  4: { count: 3, max: 99, maxTarget: 100, search: true },
  5: { count: 4, max: 99, maxTarget: 100, search: true },
};
const MIN_SEARCH_TARGET = 10;

/** Levels whose problems are solved by search traces. */
export const SEARCH_LEVELS: readonly number[] = LEVELS.filter((l) => SPEC[l]!.search);

/** Every way to combine two items: the new item and the step text "a op b" over their values. */
function combos(a: Item, b: Item): Array<{ item: Item; step: string }> {
  const wrap = (x: Item) => (x.leaf ? x.e : `(${x.e})`);
  const make = (x: Item, op: string, y: Item, v: Rational) => ({
    item: { v, e: `${wrap(x)} ${op} ${wrap(y)}`, leaf: false },
    step: `${ratToString(x.v)} ${op} ${ratToString(y.v)} = ${ratToString(v)}`,
  });
  const [hi, lo] = toNumber(a.v) >= toNumber(b.v) ? [a, b] : [b, a];
  const out = [make(a, '+', b, add(a.v, b.v)), make(a, '*', b, mul(a.v, b.v)), make(hi, '-', lo, sub(hi.v, lo.v))];
  for (const [x, y] of [
    [a, b],
    [b, a],
  ] as const) {
    const q = div(x.v, y.v);
    if (q && q.d === 1n) out.push(make(x, '/', y, q));
  }
  return out;
}

const TEXT = {
  en: {
    prompt: (nums: number[], t: number) =>
      `Using the numbers [${nums.join(', ')}], create an equation that equals ${t}. You can use basic ` +
      `arithmetic operations (+, -, *, /) and each number can only be used once. Show your work in ` +
      `<think> </think> tags. And return the final answer in <answer> </answer> tags, for example <answer> (1 + 2) / 3 </answer>.`,
    fail: (path: string, v: string, t: number) => `Try ${path}. That gives ${v}, not ${t}.`,
    ok: (path: string) => `Try ${path}. That works.`,
    final: (e: string, t: number) => `So ${e} = ${t}, using each number once.`,
  },
  zh: {
    prompt: (nums: number[], t: number) =>
      `使用数字 [${nums.join(', ')}]，写出一个结果等于 ${t} 的算式。` +
      '可以使用加减乘除 (+, -, *, /) 和括号，每个数字只能用一次。请在 <think> ' +
      `</think> 中写出思考过程，并在 <answer> </answer> 中给出最终算式，例如 <answer> (1 + 2) / 3 </answer>。`,
    fail: (path: string, v: string, t: number) => `试试 ${path}。结果是 ${v}，不是 ${t}。`,
    ok: (path: string) => `试试 ${path}。可以。`,
    final: (e: string, t: number) => `所以 ${e} = ${t}，每个数字都只用了一次。`,
  },
};

/** Depth-first search; records up to `maxFails` failed complete attempts before the solution. */
function search(
  items: Item[],
  target: Rational,
  path: string[],
  fails: Array<{ path: string[]; v: Rational }>,
  maxFails: number,
): { path: string[]; e: string } | null {
  if (items.length === 1) {
    if (eq(items[0]!.v, target)) return { path, e: items[0]!.e };
    if (fails.length < maxFails) fails.push({ path, v: items[0]!.v });
    return null;
  }
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const rest = items.filter((_, k) => k !== i && k !== j);
      for (const c of combos(items[i]!, items[j]!)) {
        const r = search([...rest, c.item], target, [...path, c.step], fails, maxFails);
        if (r) return r;
      }
    }
  }
  return null;
}

/** A countdown problem: its key is the sorted numbers and the target (the split is by key). */
function countdownProblem(nums: number[], target: number, answer: string, lang: Lang, difficulty: number): Problem {
  return {
    task: 'countdown',
    key: `countdown:${[...nums].sort((x, y) => x - y).join(',')}->${target}`,
    lang,
    difficulty,
    prompt: TEXT[lang].prompt(nums, target),
    answer,
    data: { numbers: nums, target },
  };
}

/** A search-tier problem: a random expression tree under the search's step rules, target in range. */
function searchProblem(
  rng: Rng,
  difficulty: number,
  lang: Lang,
  count: number,
  max: number,
  maxTarget: number,
): Problem {
  for (;;) {
    const nums = Array.from({ length: count }, () => rng.int(1, max));
    const items = nums.map((n) => ({ v: n, e: String(n), leaf: true }));
    while (items.length > 1) {
      rng.shuffle(items);
      const [a, b] = [items.pop()!, items.pop()!];
      const options = moves(a, b);
      if (options.length === 0) break;
      items.push(rng.pick(options).item);
    }
    if (items.length !== 1) continue;
    const target = items[0]!.v;
    if (target < MIN_SEARCH_TARGET || target > maxTarget) continue;
    return countdownProblem(nums, target, items[0]!.e, lang, difficulty);
  }
}

export const countdown: Task = {
  name: 'countdown',
  difficulties: LEVELS,
  defaultDifficulties: [1, 2, 3],

  generate(rng: Rng, difficulty: number, lang: Lang): Problem {
    checkDifficulty('countdown', difficulty, LEVELS);
    const spec = SPEC[difficulty]!;
    if (spec.search) return searchProblem(rng, difficulty, lang, spec.count, spec.max, spec.maxTarget);
    for (;;) {
      const nums = Array.from({ length: spec.count }, () => rng.int(1, spec.max));
      const items: Item[] = nums.map((n) => ({ v: rat(n), e: String(n), leaf: true }));
      while (items.length > 1) {
        rng.shuffle(items);
        const [a, b] = [items.pop()!, items.pop()!];
        items.push(rng.pick(combos(a, b)).item);
      }
      const v = items[0]!.v;
      if (v.d !== 1n || v.n < 1n || v.n > BigInt(spec.maxTarget)) continue;
      const target = Number(v.n);
      return countdownProblem(nums, target, items[0]!.e, lang, difficulty);
    }
  },

  solve(problem: Problem): Solution {
    // The search traces are English; a Chinese prompt of a search tier gets the first corpus's trace.
    if (SPEC[problem.difficulty]?.search && problem.lang === 'en') {
      const t = searchTrace(problem.data.numbers as number[], problem.data.target as number, {
        mode: 'full',
        budget: Number.MAX_SAFE_INTEGER,
      });
      if (!t.found) throw new Error(`countdown: the full search found no solution for ${problem.key}`);
      return { steps: t.lines, answer: t.answer };
    }
    const nums = problem.data.numbers as number[];
    const target = problem.data.target as number;
    const t = TEXT[problem.lang];
    const fails: Array<{ path: string[]; v: Rational }> = [];
    const found = search(
      nums.map((n) => ({ v: rat(n), e: String(n), leaf: true })),
      rat(target),
      [],
      fails,
      2,
    );
    if (!found) throw new Error(`countdown: no solution found for ${problem.key} (generator bug)`);
    return {
      steps: [
        ...fails.map((f) => t.fail(f.path.join(', '), ratToString(f.v), target)),
        t.ok(found.path.join(', ')),
        t.final(found.e, target),
      ],
      answer: found.e,
    };
  },

  verify(problem: Problem, answer: string): boolean {
    if (typeof answer !== 'string' || answer.length > 256) return false;
    const lhs = answer.split('=')[0]!;
    const parsed = evalExpr(lhs, { allowUnary: false, maxLiterals: 8, maxDigits: 12 });
    if (!parsed) return false;
    const want = [...(problem.data.numbers as number[])].sort((a, b) => a - b).join(',');
    const used = parsed.literals
      .map((r) => (r.d === 1n ? Number(r.n) : NaN))
      .sort((a, b) => a - b)
      .join(',');
    return used === want && Math.abs(toNumber(parsed.value) - (problem.data.target as number)) < 1e-5;
  },
};
