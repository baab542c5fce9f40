/**
 * Exact round-to-nearest-even of a JS number (float64) into a small binary floating-point format,
 * shared by the FP8 E4M3, float16 and bfloat16 codecs (IEEE 754-2008 section 4.3.1, roundTiesToEven).
 *
 * Why float64 arithmetic is exact here: every step multiplies or divides by a power of two inside
 * float64's range, so the only rounding is the one we do explicitly. Rounding straight from the
 * float64 value (instead of going through float32 first) avoids double rounding.
 */

/** The bit layout of a small float format: field widths, exponent bias and overflow behaviour. */
export interface MiniFloatFormat {
  /** Number of stored mantissa (fraction) bits. */
  readonly mantissaBits: number;
  /** Number of exponent bits. */
  readonly exponentBits: number;
  /** Exponent bias (7 for E4M3, 15 for float16, 127 for bfloat16). */
  readonly bias: number;
  /** Largest finite magnitude. */
  readonly maxFinite: number;
  /** true: magnitudes rounding above maxFinite become +-Infinity; false: they saturate to maxFinite. */
  readonly overflowToInfinity: boolean;
}

/** floor(log2(a)) for a finite a > 0, exact (corrects Math.log2's last-bit error near powers of two). */
export function exponentOf(a: number): number {
  let e = Math.floor(Math.log2(a));
  if (2 ** e > a) e -= 1;
  else if (2 ** (e + 1) <= a) e += 1;
  return e;
}

/** Round half to even of a non-negative number to an integer. */
function roundHalfEven(r: number): number {
  const f = Math.floor(r);
  const d = r - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Rounds the magnitude `a` (>= 0, not NaN) to the nearest representable value of `fmt`, ties to even,
 * then applies the overflow rule. Returns a float64 holding the exact rounded value.
 */
export function roundMagnitude(a: number, fmt: MiniFloatFormat): number {
  if (a === 0) return 0;
  if (a === Infinity) return fmt.overflowToInfinity ? Infinity : fmt.maxFinite;
  const minNormalExp = 1 - fmt.bias;
  const e = Math.max(exponentOf(a), minNormalExp);
  const quantum = 2 ** (e - fmt.mantissaBits);
  const v = roundHalfEven(a / quantum) * quantum;
  if (v > fmt.maxFinite) return fmt.overflowToInfinity ? Infinity : fmt.maxFinite;
  return v;
}

/**
 * Packs an exactly representable magnitude `v` (finite, >= 0, <= maxFinite) into exponent and
 * mantissa fields: returns (exponentField << mantissaBits) | mantissaField, without the sign bit.
 */
export function packMagnitude(v: number, fmt: MiniFloatFormat): number {
  if (v === 0) return 0;
  const minNormalExp = 1 - fmt.bias;
  const one = 2 ** fmt.mantissaBits;
  if (v < 2 ** minNormalExp) return v / 2 ** (minNormalExp - fmt.mantissaBits); // subnormal: exponent field 0
  const e = exponentOf(v);
  const mantissa = (v / 2 ** e) * one - one;
  return (e + fmt.bias) * one + mantissa;
}

/** Decodes exponent and mantissa fields (no sign, no NaN/Inf handling) into the magnitude they encode. */
export function unpackMagnitude(bits: number, fmt: MiniFloatFormat): number {
  const one = 2 ** fmt.mantissaBits;
  const mantissa = bits % one;
  const expField = Math.floor(bits / one);
  if (expField === 0) return mantissa * 2 ** (1 - fmt.bias - fmt.mantissaBits);
  return (1 + mantissa / one) * 2 ** (expField - fmt.bias);
}
