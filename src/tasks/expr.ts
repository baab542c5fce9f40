/**
 * A small, safe arithmetic expression parser for verifying model answers. Never `eval`: a
 * recursive-descent parser over numbers, + - * / (also × ÷ −) and parentheses, evaluated exactly
 * with BigInt rationals. Bounded by construction: input length, nesting depth, number of literals,
 * digits per literal and digits of every intermediate result. Anything else (garbage, division by
 * zero, over a bound) yields null, never an exception or a long computation.
 */
import { add, div, mul, rat, ratDigits, sub, type Rational } from './rational.js';

/** Bounds on untrusted input. */
export interface ExprLimits {
  maxLength: number;
  maxDepth: number;
  maxLiterals: number;
  maxDigits: number;
  /** Bound on the digits of any intermediate value. */
  maxResultDigits: number;
  /** Allow unary minus/plus (countdown forbids it: only binary operators combine the numbers). */
  allowUnary: boolean;
}

export const DEFAULT_LIMITS: ExprLimits = {
  maxLength: 256,
  maxDepth: 24,
  maxLiterals: 32,
  maxDigits: 40,
  maxResultDigits: 400,
  allowUnary: true,
};

/** A parsed expression: its exact value and the literals it used, in order. */
export interface ParsedExpr {
  value: Rational;
  literals: Rational[];
}

class Fail extends Error {}

/** Parses and evaluates `text`; null when it is not a valid bounded expression. */
export function evalExpr(text: string, limits: Partial<ExprLimits> = {}): ParsedExpr | null {
  const L = { ...DEFAULT_LIMITS, ...limits };
  if (typeof text !== 'string' || text.length > L.maxLength) return null;
  const src = text.replace(/[×✕]/g, '*').replace(/÷/g, '/').replace(/[−–]/g, '-');
  if (!/^[0-9+\-*/().\s]*$/.test(src)) return null;
  let pos = 0;
  const literals: Rational[] = [];
  const skip = () => {
    while (pos < src.length && /\s/.test(src[pos]!)) pos++;
  };
  const check = (v: Rational): Rational => {
    if (ratDigits(v) > L.maxResultDigits) throw new Fail();
    return v;
  };
  const number = (): Rational => {
    const m = /^(\d+)(?:\.(\d+))?/.exec(src.slice(pos, pos + L.maxDigits + 3));
    if (!m) throw new Fail();
    const [whole, intPart, frac = ''] = m as unknown as [string, string, string | undefined];
    if (intPart.length + frac.length > L.maxDigits) throw new Fail();
    pos += whole.length;
    if (pos < src.length && /[\d.]/.test(src[pos]!)) throw new Fail();
    if (literals.length >= L.maxLiterals) throw new Fail();
    const v = rat(BigInt(intPart + frac), 10n ** BigInt(frac.length));
    literals.push(v);
    return v;
  };
  const primary = (depth: number): Rational => {
    if (depth > L.maxDepth) throw new Fail();
    skip();
    const c = src[pos];
    if (c === '(') {
      pos++;
      const v = sum(depth + 1);
      skip();
      if (src[pos] !== ')') throw new Fail();
      pos++;
      return v;
    }
    if (c === '-' || c === '+') {
      if (!L.allowUnary) throw new Fail();
      pos++;
      const v = primary(depth + 1);
      return c === '-' ? rat(-v.n, v.d) : v;
    }
    return number();
  };
  const product = (depth: number): Rational => {
    let v = primary(depth);
    for (;;) {
      skip();
      const op = src[pos];
      if (op !== '*' && op !== '/') return v;
      pos++;
      const r = primary(depth);
      if (op === '*') v = check(mul(v, r));
      else {
        const q = div(v, r);
        if (q === null) throw new Fail();
        v = check(q);
      }
    }
  };
  const sum = (depth: number): Rational => {
    let v = product(depth);
    for (;;) {
      skip();
      const op = src[pos];
      if (op !== '+' && op !== '-') return v;
      pos++;
      const r = product(depth);
      v = check(op === '+' ? add(v, r) : sub(v, r));
    }
  };
  try {
    const value = sum(0);
    skip();
    if (pos !== src.length) return null;
    return { value, literals };
  } catch (err) {
    if (err instanceof Fail || err instanceof RangeError) return null;
    throw err;
  }
}

/**
 * Parses a plain numeric answer: an optional sign, an integer, a decimal or a fraction a/b
 * (`-3/4`, `0.75`, `12`), optionally prefixed by `x =`. Null for anything else.
 */
export function parseNumberAnswer(text: string, maxDigits = 60): Rational | null {
  if (typeof text !== 'string' || text.length > 2 * maxDigits + 16) return null;
  const s = text
    .trim()
    .replace(/^[a-zA-Z]\s*=\s*/, '')
    .replace(/[−–]/g, '-')
    .replace(/,(?=\d{3}\b)/g, '');
  const m = /^([+-]?)(\d+)(?:\.(\d+))?(?:\s*\/\s*(\d+))?$/.exec(s);
  if (!m) return null;
  const [, sign, intPart, frac = '', den] = m as unknown as [
    string,
    string,
    string,
    string | undefined,
    string | undefined,
  ];
  if (intPart.length + frac.length > maxDigits || (den !== undefined && (den.length > maxDigits || frac !== '')))
    return null;
  const n = BigInt(intPart + frac) * (sign === '-' ? -1n : 1n);
  const d = 10n ** BigInt(frac.length) * (den !== undefined ? BigInt(den) : 1n);
  return d === 0n ? null : rat(n, d);
}
