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
