/**
 * Countdown search traces in the spirit of Stream of Search (Gandhi et al. 2024, arXiv 2404.03683):
 * the solver writes every candidate it computes, compares it with the target, states failures and
 * backs out of dead states, and only claims success for a candidate that really equals the target.
 * A comparison writes the goal right after the result, then compares the two digit by digit from the
 * left until a pair differs, and decides after that ("91 + 17 = 108 vs 74: 1 7, no.", "91 - 17 = 74
 * vs 74: 7 7, 4 4, equal!"). A found solution is written back from the step claimed equal, one made
 * number at a time named with the step that made it and replaced by that step, and its last term is
 * the answer ("Check: 45 = 60 - 15, 60 = 99 - 39: (99 - 39) - 15, 99 = 16 + 83: ((16 + 83) - 39) -
 * 15. Correct.", iteration 7; iteration 6 replaced without naming). In iteration 2 the
 * decision came before the goal and in iteration 3 right after it; the tiny base learned neither:
 * the iteration-3 base said "equal" on half of its unequal lines and "no" on half of its equal ones,
 * because deciding meant comparing two multi-digit numbers at once. A digit pair is copied like a
 * column of an arithmetic tape, and each decision then compares two adjacent digits
 * (docs/results/r1-zero/protocol.md section 0, iteration 4). Every mode
 * takes the children of a state in one fixed order (the pairs as listed, each with +, -, *, /), so
 * the modes differ only in how many checks they make before giving up; iteration 2 ordered them by
 * closeness to the goal, which the base could not compute and so repeated children after a backtrack.
 * How thorough it is comes from a fixed mode (Cognitive Behaviors, Gandhi et al. 2025: RL amplifies
 * verification, backtracking and backward chaining that the base already shows):
 * - `quick`:    hasty: a budget of 1-2 candidate checks (the caller draws it), no final check, then a guess;
 * - `bounded`:  forward DFS with a budget of 8 checks, verified success or a guess;
 * - `full`:     forward DFS until verified or 14 checks (the cap keeps the longest 4-number trace inside a
 *               1152-token context: docs/results/r1-zero/protocol.md; 3-number searches rarely reach it);
 * - `backward`: works back from the target (subgoals "need 57 from 36 55") with the same cap;
 * - `optimal`:  Stream of Search's optimal path: the solution's steps only, no search, no check.
 * Every step is small for a small model: results above 999 and products of two numbers >= 10 are
 * never formed, a product with a one-digit factor is split by place ("47 * 6 = 240 + 42 = 282"), a
 * sum or difference of numbers >= 10 adds or subtracts tens and units apart ("36 + 55 = 80 + 11 =
 * 91", "91 - 17 = 80 - 6 = 74": in the first corpus the tiny base got the carry or borrow of one-line
 * sums wrong), division is a times-table fact (one-digit divisor and quotient), subtraction is larger
 * minus smaller. The generator of the
 * search tiers (src/tasks/countdown.ts, levels 4-5) builds targets with the same rules, so the full
 * search always has a solution to find. A "slip" (for the wrong-answer priming arm, and for the
 * caught slips that teach a failing check) miscomputes one failing candidate as the target.
 */
import type { Rng } from './rng.js';

export type SearchMode = 'quick' | 'bounded' | 'full' | 'backward' | 'optimal';
export const SEARCH_MODES: readonly SearchMode[] = ['quick', 'bounded', 'full', 'backward', 'optimal'];

/** Candidate checks each mode may make before it gives up (optimal makes none). */
export const MODE_BUDGET: Readonly<Record<SearchMode, number>> = {
  quick: 2,
  bounded: 8,
  full: 14,
  backward: 14,
  optimal: 0,
};

/** Largest value a step may produce. */
export const MAX_VALUE = 999;

/** A number on the board: its value and the expression that made it. */
export interface Item {
  v: number;
  e: string;
  leaf: boolean;
}

/** One way to combine two items. */
export interface Move {
  item: Item;
  /** The step as written, e.g. "47 * 6 = 240 + 42 = 282". */
  text: string;
}

const wrap = (x: Item) => (x.leaf ? x.e : `(${x.e})`);

/** "x * y = ..." with a one-digit factor split by place: 47 * 6 = 240 + 42 = 282. */
export function productText(x: number, y: number, r: number): string {
  const [big, small] = x >= y ? [x, y] : [y, x];
  if (big < 10 || small < 2) return `${x} * ${y} = ${r}`;
  const parts: number[] = [];
  const digits = String(big);
  for (let k = 0; k < digits.length; k++) {
    const d = Number(digits[k]);
    if (d !== 0) parts.push(d * 10 ** (digits.length - 1 - k) * small);
  }
  return parts.length === 1 ? `${x} * ${y} = ${r}` : `${x} * ${y} = ${parts.join(' + ')} = ${r}`;
}

/**
 * "x + y = r", or, when the units carry, "x + y = T + U = r": the tens-and-up parts and the units
 * added apart, so the carry is a written step ("36 + 55 = 80 + 11 = 91"). Without a carry every
 * digit of r is one table fact ("36 + 52 = 88"); the two forms agree on the first digit, and the
 * second tells them apart by whether the units reach 10, itself one fact.
 */
export function sumText(x: number, y: number): string {
  const r = x + y,
    u = (x % 10) + (y % 10);
  return u < 10 || (x < 10 && y < 10) ? `${x} + ${y} = ${r}` : `${x} + ${y} = ${r - u} + ${u} = ${r}`;
}

/**
 * "x - y = r" (x > y), or, when the units borrow, "x - y = T - U = r": the tens-and-up parts and the
 * units subtracted apart, so the borrow is a written step ("91 - 17 = 80 - 6 = 74"; without a borrow
 * "65 - 23 = 42"; below 10 a table fact).
 */
export function differenceText(x: number, y: number): string {
  const r = x - y,
    u = (y % 10) - (x % 10);
  return u <= 0 || x < 10 ? `${x} - ${y} = ${r}` : `${x} - ${y} = ${r + u} - ${u} = ${r}`;
}

/** A division the traces write: a times-table fact (divisor and quotient of one digit). */
const tableDivision = (hi: number, lo: number) => lo > 1 && lo < 10 && hi % lo === 0 && hi / lo < 10;

/** Every allowed combination of a and b (in a fixed order: +, -, *, /). */
export function moves(a: Item, b: Item): Move[] {
  const [hi, lo] = a.v >= b.v ? [a, b] : [b, a];
  const out: Move[] = [];
  const make = (x: Item, op: string, y: Item, v: number, text: string) => {
    if (v <= MAX_VALUE) out.push({ item: { v, e: `${wrap(x)} ${op} ${wrap(y)}`, leaf: false }, text });
  };
  make(a, '+', b, a.v + b.v, sumText(a.v, b.v));
  if (hi.v > lo.v) make(hi, '-', lo, hi.v - lo.v, differenceText(hi.v, lo.v));
  if (lo.v < 10) make(a, '*', b, a.v * b.v, productText(a.v, b.v, a.v * b.v));
  if (tableDivision(hi.v, lo.v)) make(hi, '/', lo, hi.v / lo.v, `${hi.v} / ${lo.v} = ${hi.v / lo.v}`);
  return out;
}

const list = (items: readonly Item[]) => items.map((x) => x.v).join(' ');

/**
 * " vs 74: 7 7, 4 4" for 74 against the goal 74, " vs 74: 1 7" for 108: the goal, then the digits of
 * the value and the goal in pairs from the left, up to the first pair that differs ("-" stands for a
 * digit the shorter number lacks: " vs 74: 7 7, 4 4, 0 -" for 740). What follows decides: equal when
 * every pair matched.
 */
export function comparisonText(value: number, goal: number): string {
  const a = String(value),
    b = String(goal),
    pairs: string[] = [];
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const x = a[k] ?? '-',
      y = b[k] ?? '-';
    pairs.push(`${x} ${y}`);
    if (x !== y) break;
  }
  return ` vs ${goal}: ${pairs.join(', ')}`;
}

/** The value a written step ends with ("... = 74" gives 74). */
const lastValue = (text: string) => Number(/= (-?[\d.]+)$/.exec(text)![1]);

/** How each item on the search path was made: its step text and its two operands. */
class Steps {
  private readonly made = new Map<string, { text: string; kids: readonly Item[] }>();
  set(e: Item, text: string, kids: readonly Item[]): void {
    this.made.set(e.e, { text, kids });
  }
  /** The two operands of a made item, in the order its expression writes them. */
  private operands(x: Item): readonly Item[] {
    const [a, b] = this.made.get(x.e)!.kids as [Item, Item];
    return x.e.startsWith(`${wrap(a)} `) ? [a, b] : [b, a];
  }
  /**
   * The terms the final check writes for `e`, outermost first: its own step with made operands as
   * values ("60 - 15"), then one made operand at a time, leftmost first, named with the step that
   * made it ("60 = 99 - 39", its operands as values) and replaced by that step in parentheses
   * ("(99 - 39) - 15"), until only given numbers are left ("((16 + 83) - 39) - 15", the answer). A
   * value is the one its step wrote (after a slip, the slipped one).
   */
  chain(e: Item): Array<{ term: string; named?: string }> {
    const open = new Set([e.e]);
    const render = (x: Item, top: boolean): string => {
      const m = this.made.get(x.e);
      if (!m) return x.e;
      if (!open.has(x.e)) return String(lastValue(m.text));
      const [a, b] = this.operands(x) as [Item, Item];
      const op = x.e.slice(wrap(a).length + 1, wrap(a).length + 2);
      const s = `${render(a, false)} ${op} ${render(b, false)}`;
      return top ? s : `(${s})`;
    };
    const next = (x: Item): Item | null => {
      for (const k of this.operands(x)) {
        if (!this.made.has(k.e)) continue;
        if (!open.has(k.e)) return k;
        const n = next(k);
        if (n) return n;
      }
      return null;
    };
    const out: Array<{ term: string; named?: string }> = [{ term: render(e, true) }];
    for (let n = next(e); n; n = next(e)) {
      open.add(n.e);
      out.push({ named: `${lastValue(this.made.get(n.e)!.text)} = ${render(n, true)}`, term: render(e, true) });
    }
    return out;
  }
  /** The steps that recompute `e`, innermost first (the optimal path's lines). */
  recompute(e: Item): string[] {
    const out: string[] = [];
    const walk = (x: Item) => {
      const m = this.made.get(x.e);
      if (!m) return;
      for (const k of m.kids) walk(k);
      out.push(m.text);
    };
    walk(e);
    return out;
  }
}

/** Options of one trace. */
export interface SearchOptions {
  mode: SearchMode;
  /** Override the mode's budget of candidate checks. */
  budget?: number;
  /** Miscompute one failing candidate as the target and claim it (the wrong-answer arm). */
  slip?: boolean;
  /** Miscompute one failing candidate, catch it in a check and search on (a caught slip). */
  caughtSlip?: boolean;
  /** Draws where the slips fall; needed when slip or caughtSlip is set. */
  rng?: Rng;
}

/** A written trace: its lines, the answer expression, and what happened. */
export interface SearchTrace {
  lines: string[];
  answer: string;
  /** The trace claims a verified (or, in quick mode, an unchecked) solution. */
  found: boolean;
  /** The claimed solution really equals the target (false after a slip). */
  correct: boolean;
  /** Candidates compared with a goal. */
  checks: number;
}

/** The search as a writer: lines, candidate checks, the closest candidate, planned slips. */
class Writer {
  lines: string[] = [];
  checks = 0;
  closest: { item: Item; d: number } | null = null;
  steps = new Steps();
  /** In backward chaining: the whole expression a sub-candidate would complete (for the guess). */
  lift: ((x: Item) => Item) | null = null;
  constructor(
    readonly target: number,
    readonly budget: number,
    readonly slipAt = -1,
    readonly caughtAt = -1,
  ) {}
  get out(): boolean {
    return this.checks >= this.budget;
  }
  /** Compares a candidate with `goal`; true when it is claimed equal (really, or by a slip). */
  compare(m: Move, goal: number, kids: readonly Item[]): boolean {
    this.checks++;
    const whole = this.lift ? this.lift(m.item) : m.item;
    const d = Math.abs(whole.v - this.target);
    if (this.closest === null || d < this.closest.d) this.closest = { item: whole, d };
    if (m.item.v === goal) {
      this.lines.push(`${m.text}${comparisonText(goal, goal)}, equal!`);
      return true;
    }
    if (this.checks === this.slipAt || this.checks === this.caughtAt) {
      const slipped = m.text.replace(/= (\d+)$/, `= ${goal}`);
      this.lines.push(`${slipped}${comparisonText(goal, goal)}, equal!`);
      if (this.checks === this.slipAt) {
        this.steps.set(m.item, slipped, kids);
        return true;
      }
      this.lines.push(`Check: ${m.text}${comparisonText(m.item.v, goal)}. Wrong, back.`);
      return false;
    }
    this.lines.push(`${m.text}${comparisonText(m.item.v, goal)}, no.`);
    return false;
  }
}

/** Forward DFS over `items` for `goal`; the item claimed equal to it, or null. */
function forward(w: Writer, items: Item[], goal: number): Item | null {
  if (items.length === 2) {
    const [a, b] = items as [Item, Item];
    for (const m of moves(a, b)) {
      if (w.out) return null;
      w.steps.set(m.item, m.text, [a, b]);
      if (w.compare(m, goal, [a, b])) return m.item;
    }
    return null;
  }
  const children: Array<{ m: Move; rest: Item[]; kids: [Item, Item] }> = [];
  for (let i = 0; i < items.length; i++)
    for (let j = i + 1; j < items.length; j++) {
      const rest = items.filter((_, k) => k !== i && k !== j);
      for (const m of moves(items[i]!, items[j]!)) children.push({ m, rest, kids: [items[i]!, items[j]!] });
    }
  // Children in a fixed order (pairs as listed, then +, -, *, /), not Stream of Search's heuristic
  // order: the next child after a backtrack is then the successor of the last one tried (section 0).
  for (const c of children) {
    if (w.out) return null;
    const next = [c.m.item, ...c.rest];
    w.lines.push(`${c.m.text}, left ${list(next)}.`);
    w.steps.set(c.m.item, c.m.text, c.kids);
    const r = forward(w, next, goal);
    if (r) return r;
    if (!w.out) w.lines.push(`Back to ${list(items)}.`);
  }
  return null;
}

/** A subgoal for the last operand n: the x that x op n = t (or n op x = t) needs. */
interface Subgoal {
  x: number;
  /** Why, as an equation with x filled in. */
  why: string;
  /** The whole expression from an item standing for x (its value computed, not assumed). */
  build: (x: Item) => Move;
}

function combine(x: Item, op: '+' | '-' | '*' | '/', y: Item): Move {
  const v = op === '+' ? x.v + y.v : op === '-' ? x.v - y.v : op === '*' ? x.v * y.v : x.v / y.v;
  const text =
    op === '*'
      ? productText(x.v, y.v, v)
      : op === '+'
        ? sumText(x.v, y.v)
        : op === '-'
          ? differenceText(x.v, y.v)
          : `${x.v} / ${y.v} = ${v}`;
  return { item: { v, e: `${wrap(x)} ${op} ${wrap(y)}`, leaf: false }, text };
}

function subgoals(n: Item, t: number): Subgoal[] {
  const v = n.v,
    out: Subgoal[] = [];
  if (t > v) out.push({ x: t - v, why: `${t - v} + ${v} = ${t}`, build: (x) => combine(x, '+', n) });
  if (t + v <= MAX_VALUE) out.push({ x: t + v, why: `${t + v} - ${v} = ${t}`, build: (x) => combine(x, '-', n) });
  if (v > t) out.push({ x: v - t, why: `${v} - ${v - t} = ${t}`, build: (x) => combine(n, '-', x) });
  if (v > 1 && t % v === 0 && t / v > 1 && (v < 10 || t / v < 10))
    out.push({ x: t / v, why: productText(t / v, v, t), build: (x) => combine(x, '*', n) });
  if (tableDivision(t * v, v)) out.push({ x: t * v, why: `${t * v} / ${v} = ${t}`, build: (x) => combine(x, '/', n) });
  return out;
}

/** Backward chaining: pick the last operand, state the subgoal, solve the rest forward for it. */
function backward(w: Writer, items: Item[], t: number): Item | null {
  w.lines.push(`Work back from ${t}.`);
  for (let i = 0; i < items.length; i++) {
    const n = items[i]!;
    const rest = items.filter((_, k) => k !== i);
    for (const g of subgoals(n, t)) {
      if (w.out) return null;
      w.lines.push(`Need ${g.x} from ${list(rest)}, since ${g.why}.`);
      w.lift = (x) => g.build(x).item;
      const sub = forward(w, rest, g.x);
      w.lift = null;
      if (sub) {
        const whole = g.build(sub);
        // a slipped sub-result was claimed as the subgoal, so the whole is written as the target too
        const claimed = sub.v === g.x ? whole.text : whole.text.replace(/= (-?[\d.]+)$/, `= ${t}`);
        w.steps.set(whole.item, claimed, whole.item.e.startsWith(wrap(n)) ? [n, sub] : [sub, n]);
        return { ...whole.item, v: sub.v === g.x ? whole.item.v : t };
      }
      if (!w.out) w.lines.push(`Back to ${t}.`);
    }
  }
  return null;
}

function run(numbers: readonly number[], target: number, mode: SearchMode, budget: number, slipAt = -1, caughtAt = -1) {
  const items: Item[] = numbers.map((n) => ({ v: n, e: String(n), leaf: true }));
  const w = new Writer(target, budget, slipAt, caughtAt);
  const found = mode === 'backward' ? backward(w, items, target) : forward(w, items, target);
  return { w, found };
}

/** The search trace of `numbers` -> `target` in the given mode. */
export function searchTrace(numbers: readonly number[], target: number, o: SearchOptions): SearchTrace {
  if (o.mode === 'optimal') {
    const { w, found } = run(numbers, target, 'full', Number.MAX_SAFE_INTEGER);
    if (!found) throw new Error(`countdown search: no solution for [${numbers.join(', ')}] -> ${target}`);
    const lines = w.steps.recompute(found).map((s) => `${s}.`);
    return { lines, answer: found.e, found: true, correct: true, checks: 0 };
  }
  const budget = o.budget ?? MODE_BUDGET[o.mode];
  let slipAt = -1,
    caughtAt = -1;
  if (o.slip || o.caughtSlip) {
    if (!o.rng) throw new Error('countdown search: slip and caughtSlip need an rng');
    // The honest run says how many candidates fail before the solution; a slip lands on one of them.
    const dry = run(numbers, target, o.mode, budget);
    const failing = dry.found ? dry.w.checks - 1 : dry.w.checks;
    if (failing >= 1) {
      const at = o.rng.int(1, failing);
      if (o.slip) slipAt = at;
      else caughtAt = at;
    }
  }
  const { w, found } = run(numbers, target, o.mode, budget, slipAt, caughtAt);
  w.lines.unshift(`Goal ${target} from ${numbers.join(' ')}.`);
  if (found) {
    if (o.mode !== 'quick') {
      // The check writes the solution back from the step claimed equal, outermost first, one made
      // number at a time named with the step that made it (a lookup of the latest line with that
      // result) and replaced by it, and the last term is the answer. Iterations 4 and 5 wrote it
      // innermost first, which needs the path's earliest steps, lines far apart, before anything
      // else; iteration 6 replaced without naming, and its base put the right step in the wrong
      // place, over the other operand (protocol section 0).
      const terms = w.steps.chain(found).map((t) => (t.named ? `, ${t.named}: ${t.term}` : ` = ${t.term}`));
      w.lines.push(`Check: ${target}${terms.join('')}. Correct.`);
    }
    return { lines: w.lines, answer: found.e, found: true, correct: slipAt < 0, checks: w.checks };
  }
  const c = w.closest!;
  w.lines.push(`No more tries. Closest: ${c.item.e} = ${c.item.v}${comparisonText(c.item.v, target)}, no.`);
  return { lines: w.lines, answer: c.item.e, found: false, correct: false, checks: w.checks };
}

/** Candidate checks the full forward search needs to find a solution, or null when it finds none. */
export function searchCost(numbers: readonly number[], target: number, budget = 100_000): number | null {
  const { w, found } = run(numbers, target, 'full', budget);
  return found ? w.checks : null;
}
