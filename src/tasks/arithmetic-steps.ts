/**
 * Column-step traces for the arithmetic tier of the R1-Zero corpus (issue 14): every line is one
 * small computation a small model can do reliably. Addition and subtraction go column by column
 * with carries and borrows; multiplication multiplies the first factor by one digit at a time,
 * digit by digit ("Place 2: 4 * 6 + carry 4 = 28, write 8, carry 2"), shifts each partial product
 * and adds them in columns, so no step multiplies more than two digits. Three modes, fixed shares
 * chosen by the corpus config, so RL has thoroughness to shift:
 * - `direct`:  the result in one line, no steps (a small model gets large operands wrong);
 * - `columns`: the column steps;
 * - `checked`: the column steps, then a check by the inverse operation, itself in columns
 *   (a sum is checked by subtracting, a difference by adding; a product has no cheap inverse and is
 *   checked by adding its partial products again, in the other order).
 * English only.
 */

export type ArithmeticMode = 'direct' | 'columns' | 'checked';
export const ARITHMETIC_MODES: readonly ArithmeticMode[] = ['direct', 'columns', 'checked'];

const digitsOf = (x: bigint) => x.toString().split('').reverse().map(Number);

/** Column addition lines of a + b (a, b >= 0). */
export function addColumns(a: bigint, b: bigint): string[] {
  const da = digitsOf(a),
    db = digitsOf(b),
    out: string[] = [];
  let carry = 0;
  for (let k = 0; k < Math.max(da.length, db.length); k++) {
    const s = (da[k] ?? 0) + (db[k] ?? 0) + carry;
    out.push(
      `Place ${k + 1}: ${da[k] ?? 0} + ${db[k] ?? 0} + carry ${carry} = ${s}, write ${s % 10}, carry ${Math.floor(s / 10)}.`,
    );
    carry = Math.floor(s / 10);
  }
  if (carry) out.push(`Place ${Math.max(da.length, db.length) + 1}: write the carry ${carry}.`);
  return out;
}

/** One place of a column subtraction: digits x - borrow - y, the written digit w, whether it borrowed. */
export interface BorrowColumn {
  place: number;
  x: number;
  y: number;
  borrow: number;
  w: number;
  borrows: boolean;
}

/** The places of a - b (a >= b >= 0), lowest first, with their borrows. */
export function borrowColumns(a: bigint, b: bigint): BorrowColumn[] {
  const da = digitsOf(a),
    db = digitsOf(b),
    out: BorrowColumn[] = [];
  let borrow = 0;
  for (let k = 0; k < da.length; k++) {
    const x = da[k]!,
      y = db[k] ?? 0;
    let w = x - borrow - y;
    const borrows = w < 0;
    if (borrows) w += 10;
    out.push({ place: k + 1, x, y, borrow, w, borrows });
    borrow = borrows ? 1 : 0;
  }
  return out;
}

/** Column subtraction lines of a - b (a >= b >= 0). */
export function subColumns(a: bigint, b: bigint): string[] {
  return borrowColumns(a, b).map(
    (c) =>
      `Place ${c.place}: ${c.x} - ${c.borrow} - ${c.y}${c.borrows ? ' (borrow 10)' : ''} = ${c.w}${c.borrows ? ', borrow 1' : ''}.`,
  );
}

/** Lines of a * d for one digit d, digit by digit with carries. */
export function digitProduct(a: bigint, d: number): string[] {
  const da = digitsOf(a),
    out: string[] = [];
  let carry = 0;
  for (let k = 0; k < da.length; k++) {
    const p = da[k]! * d + carry;
    out.push(`Place ${k + 1}: ${da[k]} * ${d} + carry ${carry} = ${p}, write ${p % 10}, carry ${Math.floor(p / 10)}.`);
    carry = Math.floor(p / 10);
  }
  if (carry) out.push(`Place ${da.length + 1}: write the carry ${carry}.`);
  return out;
}

/** Column addition of several numbers, two at a time, with the running sums stated. */
function addAll(parts: readonly bigint[], out: string[]): bigint {
  let sum = parts[0]!;
  for (const p of parts.slice(1)) {
    out.push(`Add ${sum} + ${p}:`);
    for (const line of addColumns(sum, p)) out.push(line);
    out.push(`${sum} + ${p} = ${sum + p}.`);
    sum += p;
  }
  return sum;
}

/** The lines of a * b: one partial product per digit of b, shifted, then added in columns. */
export function mulColumns(a: bigint, b: bigint): { lines: string[]; parts: bigint[] } {
  const lines: string[] = [],
    parts: bigint[] = [];
  digitsOf(b).forEach((d, k) => {
    const p = a * BigInt(d);
    if (a < 10n || d < 2) lines.push(`${a} * ${d} = ${p}.`);
    else {
      lines.push(`${a} * ${d}:`);
      for (const line of digitProduct(a, d)) lines.push(line);
      lines.push(`${a} * ${d} = ${p}.`);
    }
    const shifted = p * 10n ** BigInt(k);
    if (k > 0) lines.push(`Shift by ${k} place${k > 1 ? 's' : ''}: ${shifted}.`);
    parts.push(shifted);
  });
  if (parts.length > 1) addAll(parts, lines);
  return { lines, parts };
}

/** The trace lines of a op b in `mode`; the last line states the result. */
export function arithmeticLines(a: bigint, op: '+' | '-' | '*', b: bigint, mode: ArithmeticMode): string[] {
  const r = op === '+' ? a + b : op === '-' ? a - b : a * b;
  const e = `${a} ${op} ${b}`;
  if (mode === 'direct') return [`${e} = ${r}.`];
  const lines: string[] = [];
  if (op === '+') for (const line of addColumns(a, b)) lines.push(line);
  else if (op === '-') {
    if (a < b) lines.push(`${a} is smaller than ${b}, so compute ${b} - ${a} and make it negative.`);
    for (const line of a < b ? subColumns(b, a) : subColumns(a, b)) lines.push(line);
  } else {
    const m = mulColumns(a, b);
    for (const line of m.lines) lines.push(line);
    if (mode === 'checked' && m.parts.length > 1) {
      lines.push(`Check: add the partial products the other way round.`);
      const back = addAll([...m.parts].reverse(), lines);
      lines.push(back === r ? `Both give ${r}. Correct.` : `Got ${back}, not ${r}.`);
    }
  }
  lines.push(`So ${e} = ${r}.`);
  if (mode === 'checked' && op !== '*') {
    const [big, small] = a >= b ? [a, b] : [b, a];
    if (op === '+') {
      lines.push(`Check: ${r} - ${b} should be ${a}.`);
      for (const line of subColumns(r, b)) lines.push(line);
      lines.push(`${r} - ${b} = ${a}. Correct.`);
    } else {
      const diff = big - small;
      lines.push(`Check: ${diff} + ${small} should be ${big}.`);
      for (const line of addColumns(diff, small)) lines.push(line);
      lines.push(`${diff} + ${small} = ${big}. Correct.`);
    }
  }
  return lines;
}
