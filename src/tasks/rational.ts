/**
 * Exact rational numbers over BigInt, so verifiers compare answers exactly (3/4 == 0.75, no float
 * round-off) and large multi-digit products stay exact.
 */

/** A reduced fraction n/d with d > 0. */
export interface Rational {
  readonly n: bigint;
  readonly d: bigint;
}

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  if (b < 0n) b = -b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** n/d reduced; throws on d = 0 (callers that may divide by zero use div, which returns null). */
export function rat(n: bigint | number, d: bigint | number = 1n): Rational {
  let nn = BigInt(n),
    dd = BigInt(d);
  if (dd === 0n) throw new Error('rat: zero denominator');
  if (dd < 0n) {
    nn = -nn;
    dd = -dd;
  }
  const g = gcd(nn, dd);
  return g > 1n ? { n: nn / g, d: dd / g } : { n: nn, d: dd };
}

export const add = (a: Rational, b: Rational): Rational => rat(a.n * b.d + b.n * a.d, a.d * b.d);
export const sub = (a: Rational, b: Rational): Rational => rat(a.n * b.d - b.n * a.d, a.d * b.d);
export const mul = (a: Rational, b: Rational): Rational => rat(a.n * b.n, a.d * b.d);
/** a / b, or null when b is zero. */
export const div = (a: Rational, b: Rational): Rational | null => (b.n === 0n ? null : rat(a.n * b.d, a.d * b.n));
export const eq = (a: Rational, b: Rational): boolean => a.n === b.n && a.d === b.d;
export const isInt = (a: Rational): boolean => a.d === 1n;
export const toNumber = (a: Rational): number => Number(a.n) / Number(a.d);

/** "7", "-3/4". */
export function ratToString(a: Rational): string {
  return a.d === 1n ? a.n.toString() : `${a.n}/${a.d}`;
}

/** Decimal digits of the larger of |n| and d (a size bound for untrusted arithmetic). */
export function ratDigits(a: Rational): number {
  const n = a.n < 0n ? -a.n : a.n;
  return Math.max(n.toString().length, a.d.toString().length);
}
