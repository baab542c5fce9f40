/**
 * Rotary position embedding for MLA's rope slice, with YaRN frequency scaling and the YaRN softmax
 * temperature, as in `precompute_freqs_cis` / `apply_rotary_emb` / `MLA.__init__` of DeepSeek's
 * `inference/model.py` (YaRN: Peng et al. 2023; V3 paper section 4.3 context extension).
 *
 * RoPE rotates **consecutive pairs** (x[2i], x[2i+1]) by angle pos * freq[i] (complex
 * multiplication), not the "rotate half" layout of Llama's HF code.
 *
 * Departures from DeepSeek's code:
 * - YaRN applies whenever `rope_scaling.type == "yarn"` (Hugging Face's rule); DeepSeek's code
 *   applies it only when max_seq_len > original_seq_len. The two agree for every config whose
 *   max_position_embeddings exceeds original_max_position_embeddings (all published ones).
 * - The temperature uses `mscale_all_dim` (HF key; DeepSeek's args.mscale is the same number in
 *   the published configs): softmax scale = qk_head_dim^-0.5 * mscale^2, mscale = 0.1 *
 *   mscale_all_dim * ln(factor) + 1 (1 when factor <= 1).
 * - Angles are computed in float64 and stored as float32 cos/sin tables (DeepSeek: float32 freqs).
 */
import type { Engine } from '../../tensor/index.js';
import { Rotary } from '../../nn/rotary.js';
import type { DeepseekV3Config } from './config.js';

/** Inverse frequencies of the rope slice's qk_rope_head_dim / 2 pairs, YaRN-blended when configured. */
export function ropeInvFreq(config: DeepseekV3Config): Float64Array {
  const dim = config.qk_rope_head_dim,
    base = config.rope_theta,
    half = dim >> 1;
  const freqs = new Float64Array(half);
  for (let i = 0; i < half; i++) freqs[i] = 1 / base ** ((2 * i) / dim);
  const ys = config.rope_scaling;
  if (ys === null) return freqs;
  // Pair dims whose wavelength fits beta rotations into the original context keep freq; long ones
  // get freq / factor; a linear ramp blends the two in between.
  const corr = (rot: number): number =>
    (dim * Math.log(ys.original_max_position_embeddings / (rot * 2 * Math.PI))) / (2 * Math.log(base));
  const low = Math.max(Math.floor(corr(ys.beta_fast)), 0);
  let high = Math.min(Math.ceil(corr(ys.beta_slow)), dim - 1);
  if (low === high) high += 0.001;
  for (let i = 0; i < half; i++) {
    const ramp = Math.min(Math.max((i - low) / (high - low), 0), 1);
    const smooth = 1 - ramp;
    freqs[i] = (freqs[i]! / ys.factor) * (1 - smooth) + freqs[i]! * smooth;
  }
  return freqs;
}

/** The attention softmax scale: qk_head_dim^-0.5, times mscale^2 under YaRN. */
export function softmaxScale(config: DeepseekV3Config): number {
  const scale = 1 / Math.sqrt(config.qk_nope_head_dim + config.qk_rope_head_dim);
  const ys = config.rope_scaling;
  if (ys === null || ys.factor <= 1) return scale;
  const m = 0.1 * ys.mscale_all_dim * Math.log(ys.factor) + 1;
  return scale * m * m;
}

/**
 * The rotation of MLA's rope slice: consecutive pairs, (y[2i], y[2i+1]) = (x[2i] cos - x[2i+1] sin,
 * x[2i] sin + x[2i+1] cos) at the (YaRN-blended) frequencies above, through the shared
 * src/nn/rotary.ts. `apply` takes x [B, T, H, R]; differentiable (a fixed linear map of x).
 */
export class Rope extends Rotary {
  constructor(engine: Engine, config: DeepseekV3Config, maxLen: number) {
    super(engine, ropeInvFreq(config), maxLen, 'pairs');
  }
}
