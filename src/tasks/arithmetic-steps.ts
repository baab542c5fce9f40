/**
 * Step traces for the arithmetic tier of the R1-Zero corpus (issue 14), written so that every token a
 * small model has to compute is a one-step table fact over digits written a few tokens before it.
 * The first corpus's column lines ("Place 2: 4 * 6 + carry 4 = 28, write 8, carry 2") failed a tiny
 * base in two ways (docs/results/r1-zero/iteration-1/base-step-accuracy.json): it fetched the wrong digit of an
 * operand written lines above, and it fused a product with a carry in one token ("7 * 5 + carry 2 =
 * 33"). So each line here is one column of a "tape": it restates what is left of the operands (the
 * previous line's numbers without their last digit, a copy), takes their last digits, and does one
 * fact at a time, with the result digits so far carried along:
 *   "481 + 1926, carry 0: 1 + 6 + 0 = 7, digits 75."
 *   "65 - 46, borrow 1: 6 + 1 = 7, 15 - 7 = 8, borrow 1, digits 87."
 *   "96 * 5, carry 1: 6 * 5 = 30, 30 + 1 = 31, digits 15."
 * An exhausted operand is written 0; the last column (nothing left after it) writes its whole result.
 * Multiplication by a two-digit number is split into the two partial products ("963 * 25 = 963 * 5 +
 * 963 * 20"), each a digit tape, added by an addition tape. Three modes, fixed shares chosen by the
 * corpus config, so RL has thoroughness to shift:
 * - `direct`:  the result in one line, no steps (a small model gets large operands wrong);
 * - `columns`: the tapes;
 * - `checked`: the tapes, then a check by the inverse operation, itself a tape (a sum is checked by
 *   subtracting, a difference by adding; a product has no cheap inverse and is checked by adding its
 *   partial products again, in the other order).
 * English only.
 */

export type ArithmeticMode = 'direct' | 'columns' | 'checked';
export const ARITHMETIC_MODES: readonly ArithmeticMode[] = ['direct', 'columns', 'checked'];

const last = (x: bigint) => Number(x % 10n);

/** The addition tape of a + b (a, b >= 0): one line per column, lowest first. */
export function addTape(a: bigint, b: bigint): string[] {
  const out: string[] = [];
  let [x, y, carry, digits] = [a, b, 0, ''];
  for (;;) {
    const s = last(x) + last(y) + carry,
      end = x < 10n && y < 10n;
    digits = `${end ? s : s % 10}${digits}`;
    out.push(`${x} + ${y}, carry ${carry}: ${last(x)} + ${last(y)} + ${carry} = ${s}, digits ${digits}.`);
    if (end) return out;
    [x, y, carry] = [x / 10n, y / 10n, s >= 10 ? 1 : 0];
  }
}

/**
 * The subtraction tape of a - b (a >= b >= 0). A column first adds the borrow to the lower digit
 * ("6 + 1 = 7"), then subtracts it from the upper digit, or from 10 more when that is smaller
 * ("15 - 7 = 8, borrow 1"). The digits may start with zeros (652 - 645: digits 007).
 */
export function subTape(a: bigint, b: bigint): string[] {
  if (a < b) throw new Error(`subTape: ${a} < ${b}`);
  const out: string[] = [];
  let [x, y, borrow, digits] = [a, b, 0, ''];
  for (;;) {
    const low = last(y) + borrow,
      lends = last(x) < low,
      top = last(x) + (lends ? 10 : 0);
    digits = `${top - low}${digits}`;
    out.push(
      `${x} - ${y}, borrow ${borrow}: ${last(y)} + ${borrow} = ${low}, ${top} - ${low} = ${top - low}, borrow ${lends ? 1 : 0}, digits ${digits}.`,
    );
    if (x < 10n) return out;
    [x, y, borrow] = [x / 10n, y / 10n, lends ? 1 : 0];
  }
}

/** The tape of a * d for one digit d >= 2: the digit product, then the carry added, one fact each. */
export function digitTape(a: bigint, d: number): string[] {
  const out: string[] = [];
  let [x, carry, digits] = [a, 0, ''];
  for (;;) {
    const p = last(x) * d,
      q = p + carry,
      end = x < 10n;
    digits = `${end ? q : q % 10}${digits}`;
    out.push(`${x} * ${d}, carry ${carry}: ${last(x)} * ${d} = ${p}, ${p} + ${carry} = ${q}, digits ${digits}.`);
    if (end) return out;
    [x, carry] = [x / 10n, Math.floor(q / 10)];
  }
}

/** a * d for one digit: a table fact or a trivial product in one line, else the digit tape and its result. */
function digitProduct(a: bigint, d: number, lines: string[]): bigint {
  const p = a * BigInt(d);
  if (a >= 10n && d >= 2) for (const line of digitTape(a, d)) lines.push(line);
  lines.push(`${a} * ${d} = ${p}.`);
  return p;
}

/** x + y by its tape, then the sum in one line. */
function addLines(x: bigint, y: bigint, lines: string[]): bigint {
  for (const line of addTape(x, y)) lines.push(line);
  lines.push(`${x} + ${y} = ${x + y}.`);
  return x + y;
}

/** The lines of a * b (b < 100): one partial product per digit of b, then their sum by a tape. */
export function mulLines(a: bigint, b: bigint): { lines: string[]; parts: bigint[] } {
  const lines: string[] = [];
  if (b < 10n) return { lines, parts: [digitProduct(a, Number(b), lines)] };
  if (b >= 100n) throw new Error(`mulLines: the second factor ${b} has more than two digits`);
  const [units, tens] = [Number(b % 10n), Number(b / 10n)];
  lines.push(`${a} * ${b} = ${a} * ${units} + ${a} * ${tens}0.`);
  const low = digitProduct(a, units, lines);
  const high = digitProduct(a, tens, lines) * 10n;
  lines.push(`${a} * ${tens}0 = ${high}.`);
  addLines(low, high, lines);
  return { lines, parts: [low, high] };
}

/** The trace lines of a op b in `mode`; the last line states the result. */
export function arithmeticLines(a: bigint, op: '+' | '-' | '*', b: bigint, mode: ArithmeticMode): string[] {
  const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
  const e = `${a} ${op} ${b}`;
  if (mode === 'direct') return [`${e} = ${r}.`];
  const lines: string[] = [];
  if (op === '+') for (const line of addTape(a, b)) lines.push(line);
  else if (op === '-') {
    // both operands are written before the decision (iteration 3; it used to follow the first only)
    if (a < b) lines.push(`${a} - ${b}: ${a} is smaller than ${b}, so compute ${b} - ${a} and make it negative.`);
    for (const line of a < b ? subTape(b, a) : subTape(a, b)) lines.push(line);
  } else {
    const m = mulLines(a, b);
    for (const line of m.lines) lines.push(line);
    if (mode === 'checked' && m.parts.length > 1) {
      const [low, high] = m.parts as [bigint, bigint];
      lines.push(`Check: add the partial products the other way round.`);
      const back = addLines(high, low, lines);
      lines.push(back === r ? `Both give ${r}. Correct.` : `Got ${back}, not ${r}.`);
    }
  }
  lines.push(`So ${e} = ${r}.`);
  if (mode === 'checked' && op !== '*') {
    const [big, small] = a >= b ? [a, b] : [b, a];
    if (op === '+') {
      lines.push(`Check: ${r} - ${b} should be ${a}.`);
      for (const line of subTape(r, b)) lines.push(line);
      lines.push(`${r} - ${b} = ${a}. Correct.`);
    } else {
      const diff = big - small;
      lines.push(`Check: ${diff} + ${small} should be ${big}.`);
      for (const line of addTape(diff, small)) lines.push(line);
      lines.push(`${diff} + ${small} = ${big}. Correct.`);
    }
  }
  return lines;
}
