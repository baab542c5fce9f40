/**
 * RoPE frequencies of the dense students, with Llama 3's frequency rescaling (`rope_scaling` with
 * `rope_type: "llama3"`, as DeepSeek-R1-Distill-Llama-8B's config.json carries). The definition is
 * Hugging Face's llama3 rope init (transformers modeling_rope_utils.py): with base frequencies
 * inv_i = theta^(-2i/d) and wavelength w_i = 2 pi / inv_i, pairs with w_i < L / high_freq_factor keep
 * inv_i, pairs with w_i > L / low_freq_factor use inv_i / factor, and the pairs between blend the
 * two with s = (L / w_i - low_freq_factor) / (high_freq_factor - low_freq_factor):
 * (1 - s) inv_i / factor + s inv_i (L = original_max_position_embeddings). llama.cpp stores the same
 * scaling as the per-pair divisors inv_i / scaled_i in a `rope_freqs` tensor.
 * Departure: computed in float64 (Hugging Face computes inv_freq in float32); the cos/sin tables are
 * float32 either way.
 */

/** `rope_scaling` of a Llama 3 config.json; keys as Hugging Face spells them. */
export interface Llama3RopeScaling {
  rope_type: 'llama3';
  factor: number;
  low_freq_factor: number;
  high_freq_factor: number;
  original_max_position_embeddings: number;
}

const LLAMA3_KEYS = ['factor', 'low_freq_factor', 'high_freq_factor', 'original_max_position_embeddings'] as const;

/**
 * Validates config.json's `rope_scaling`: null (or `rope_type: "default"`) means plain RoPE; `llama3`
 * needs its four numbers; any other type is refused. Older files name the type `type`.
 */
export function parseRopeScaling(
  raw: unknown,
  source: string,
): { scaling: Llama3RopeScaling | null; warnings: string[] } {
  if (raw === undefined || raw === null) return { scaling: null, warnings: [] };
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new Error(`${source}: "rope_scaling" must be an object or null, got ${JSON.stringify(raw)}`);
  const r = raw as Record<string, unknown>;
  const typeKey = r.rope_type !== undefined ? 'rope_type' : 'type';
  const type = r[typeKey];
  if (type === 'default') return { scaling: null, warnings: [] };
  if (type !== 'llama3')
    throw new Error(
      `${source}: "rope_scaling.${typeKey}" ${JSON.stringify(type)} is not supported for dense students ` +
        '(expected "llama3", or rope_scaling null)',
    );
  const value = (key: (typeof LLAMA3_KEYS)[number]): number => {
    const v = r[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(
        `${source}: "rope_scaling.${key}" must be a positive number for llama3, got ${JSON.stringify(v)}`,
      );
    return v;
  };
  const scaling: Llama3RopeScaling = {
    rope_type: 'llama3',
    factor: value('factor'),
    low_freq_factor: value('low_freq_factor'),
    high_freq_factor: value('high_freq_factor'),
    original_max_position_embeddings: value('original_max_position_embeddings'),
  };
  if (scaling.high_freq_factor <= scaling.low_freq_factor)
    throw new Error(
      `${source}: "rope_scaling.high_freq_factor" (${scaling.high_freq_factor}) must exceed ` +
        `"rope_scaling.low_freq_factor" (${scaling.low_freq_factor})`,
    );
  const known = new Set<string>(['rope_type', 'type', ...LLAMA3_KEYS]);
  const unknown = Object.keys(r).filter((k) => !known.has(k));
  return {
    scaling,
    warnings: unknown.length ? [`${source}: ignoring unknown rope_scaling keys ${unknown.join(', ')}`] : [],
  };
}

/** The d/2 inverse frequencies of rotate-half RoPE: theta^(-2i/d), rescaled when `scaling` is set. */
export function ropeInvFreq(headDim: number, theta: number, scaling: Llama3RopeScaling | null): Float64Array {
  const half = headDim / 2,
    inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = theta ** (-(2 * i) / headDim);
  if (scaling === null) return inv;
  const { factor, low_freq_factor: lo, high_freq_factor: hi, original_max_position_embeddings: L } = scaling;
  const lowFreqWavelen = L / lo,
    highFreqWavelen = L / hi;
  for (let i = 0; i < half; i++) {
    const f = inv[i]!,
      wavelen = (2 * Math.PI) / f;
    if (wavelen < highFreqWavelen) continue; // high frequency: unchanged
    if (wavelen > lowFreqWavelen)
      inv[i] = f / factor; // low frequency: interpolated positions
    else {
      const s = (L / wavelen - lo) / (hi - lo); // 0 at the low threshold, 1 at the high one
      inv[i] = (1 - s) * (f / factor) + s * f;
    }
  }
  return inv;
}

/**
 * The llama3 `rope_scaling` that gives llama.cpp's `rope_freqs` divisors (inv_i / scaled_i per
 * pair, as its converter writes them). Only `factor` and the two wavelength thresholds
 * L / low_freq_factor and L / high_freq_factor shape the divisors, so low_freq_factor is taken as 1
 * (what every Llama 3 release uses). The blend s_i = (L / w_i - low) / (high - low) is a line in
 * x_i = 1 / w_i with s = 0 and s = 1 at the thresholds: fitted through the blended pairs when there
 * are two or more, and otherwise any line through the one blended pair (or the gap between kept and
 * divided pairs) that keeps every pair in its band, which gives the same divisors. The result is
 * checked by recomputing every divisor; a vector that no llama3 scaling gives is refused, naming
 * the tensor.
 */
export function llama3ScalingFromFreqFactors(
  divisors: Float32Array,
  headDim: number,
  theta: number,
  source: string,
): Llama3RopeScaling {
  const half = headDim / 2,
    what = `${source}: tensor "rope_freqs.weight"`;
  if (divisors.length !== half)
    throw new Error(`${what} has ${divisors.length} values; expected head_dim / 2 = ${half}`);
  if (!divisors.every((d) => Number.isFinite(d) && d >= 1 - 1e-6))
    throw new Error(`${what} holds a value below 1 or not finite; llama3 divisors are at least 1`);
  const base = ropeInvFreq(headDim, theta, null);
  const factor = divisors.reduce((m, d) => Math.max(m, d), 0);
  const tol = 1e-5;
  if (factor <= 1 + tol) throw new Error(`${what} is all ones, which is no scaling`);
  const x = (i: number) => base[i]! / (2 * Math.PI); // 1 / wavelength, falling with i
  const kept: number[] = [],
    blended: number[] = [],
    divided: number[] = [];
  for (let i = 0; i < half; i++) {
    const d = divisors[i]!;
    if (Math.abs(d - 1) <= tol) kept.push(i);
    else if (Math.abs(d - factor) <= tol * factor) divided.push(i);
    else blended.push(i);
  }
  const sOf = (i: number) => (1 / divisors[i]! - 1 / factor) / (1 - 1 / factor);
  // nearest kept pair above the blend (smallest x among kept) and divided pair below it (largest x)
  const xKept = kept.length ? x(kept.at(-1)!) : undefined,
    xDiv = divided.length ? x(divided[0]!) : undefined;
  let a: number, b: number; // s = a x + b
  if (blended.length >= 2) {
    const pts = blended.map((i) => [x(i), sOf(i)] as const);
    const n = pts.length,
      mx = pts.reduce((t, [u]) => t + u, 0) / n,
      my = pts.reduce((t, [, v]) => t + v, 0) / n;
    a = pts.reduce((t, [u, v]) => t + (u - mx) * (v - my), 0) / pts.reduce((t, [u]) => t + (u - mx) ** 2, 0);
    b = my - a * mx;
  } else if (blended.length === 1) {
    // steep enough that s reaches 0 above the divided pair (and above x = 0) and 1 below the kept pair
    const x1 = x(blended[0]!),
      s1 = sOf(blended[0]!);
    const need = [s1 / (x1 - (xDiv ?? 0)), xKept === undefined ? 0 : (1 - s1) / (xKept - x1)];
    a = 2 * Math.max(need[0]!, need[1]!);
    b = s1 - a * x1;
  } else {
    // no blended pair: both thresholds inside the gap between the bands
    const lo = xDiv ?? 0,
      hi = xKept ?? 4 * x(0);
    const x0 = lo > 0 ? lo * (hi / lo) ** (1 / 3) : hi / 3,
      x1 = lo > 0 ? lo * (hi / lo) ** (2 / 3) : (2 * hi) / 3;
    a = 1 / (x1 - x0);
    b = -a * x0;
  }
  if (!(a > 0 && b < 0))
    throw new Error(`${what} does not blend as llama3 scaling does (the divisors must fall with frequency)`);
  const fitted: Llama3RopeScaling = {
    rope_type: 'llama3',
    factor,
    low_freq_factor: 1,
    high_freq_factor: 1 - 1 / b,
    original_max_position_embeddings: -a / b,
  };
  // the worst relative divisor error of a scaling, and the pair where it is
  const error = (sc: Llama3RopeScaling): [number, number] => {
    const scaled = ropeInvFreq(headDim, theta, sc);
    let worst: [number, number] = [0, 0];
    for (let i = 0; i < half; i++) {
      const e = Math.abs(base[i]! / scaled[i]! - divisors[i]!) / divisors[i]!;
      if (e > worst[0]) worst = [e, i];
    }
    return worst;
  };
  // the round numbers a config.json carries (8192, 4, 8), when they give the same divisors
  const round: Llama3RopeScaling = {
    ...fitted,
    factor: Math.round(factor * 1e4) / 1e4,
    high_freq_factor: Math.round(fitted.high_freq_factor * 1e3) / 1e3,
    original_max_position_embeddings: Math.round(fitted.original_max_position_embeddings),
  };
  if (error(round)[0] <= 1e-5) return round;
  const [e, i] = error(fitted);
  if (e > 1e-4) {
    const got = (base[i]! / ropeInvFreq(headDim, theta, fitted)[i]!).toPrecision(6);
    throw new Error(
      `${what}: pair ${i} has divisor ${divisors[i]}, but the llama3 scaling that fits the others gives ${got}; ` +
        'this is not llama3 rope scaling',
    );
  }
  return fitted;
}
