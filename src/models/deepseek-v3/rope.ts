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
import type { Engine, Tensor } from '../../tensor/index.js';
import { add, concat, indexSelect, mul, reshape, slice, sub } from '../../tensor/index.js';
import type { DeepseekV3Config } from './config.js';

/** Inverse frequencies of the rope slice's qk_rope_head_dim / 2 pairs, YaRN-blended when configured. */
export function ropeInvFreq(config: DeepseekV3Config): Float64Array {
  const dim = config.qk_rope_head_dim, base = config.rope_theta, half = dim >> 1;
  const freqs = new Float64Array(half);
  for (let i = 0; i < half; i++) freqs[i] = 1 / Math.pow(base, (2 * i) / dim);
  const ys = config.rope_scaling;
  if (ys === null) return freqs;
  // Pair dims whose wavelength fits beta rotations into the original context keep freq; long ones
  // get freq / factor; a linear ramp blends the two in between.
  const corr = (rot: number): number => (dim * Math.log(ys.original_max_position_embeddings / (rot * 2 * Math.PI))) / (2 * Math.log(base));
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

/** cos / sin tables [maxLen, rope/2] on the engine heap, and the rotation of a rope slice. */
export class Rope {
  readonly cos: Tensor;
  readonly sin: Tensor;
  readonly half: number;

  constructor(engine: Engine, config: DeepseekV3Config, readonly maxLen: number) {
    const inv = ropeInvFreq(config);
    this.half = inv.length;
    const c = new Float32Array(maxLen * this.half), s = new Float32Array(maxLen * this.half);
    for (let t = 0; t < maxLen; t++) {
      for (let i = 0; i < this.half; i++) {
        const a = t * inv[i]!;
        c[t * this.half + i] = Math.cos(a);
        s[t * this.half + i] = Math.sin(a);
      }
    }
    this.cos = engine.keep(engine.tensor(c, [maxLen, this.half]));
    this.sin = engine.keep(engine.tensor(s, [maxLen, this.half]));
  }

  /**
   * Rotates x [B, T, H, R] whose token t sits at position pos + t (pos a number, the same for every
   * row of the batch) or at pos[t] (an int32 list of T positions). Differentiable (a fixed linear
   * map of x).
   */
  apply(x: Tensor, pos: number | Int32Array): Tensor {
    const [B, T, H, R] = x.shape as [number, number, number, number];
    const last = typeof pos === 'number' ? pos + T - 1 : Math.max(-1, ...pos);
    if (R !== 2 * this.half || last >= this.maxLen || (typeof pos !== 'number' && pos.length !== T)) {
      throw new Error(`Rope.apply: x [${x.shape.join(', ')}] needs R = ${2 * this.half}, ${T} positions, all below ${this.maxLen} (last ${last})`);
    }
    const rows = (table: Tensor): Tensor => (typeof pos === 'number'
      ? slice(table, 0, pos, pos + T) // (T, R/2)
      : indexSelect(table, 0, x.engine.tensor(pos, [T], 'i32')));
    const cos = reshape(rows(this.cos), [T, 1, this.half, 1]); // (T, 1, R/2, 1)
    const sin = reshape(rows(this.sin), [T, 1, this.half, 1]);
    const xp = reshape(x, [B, T, H, this.half, 2]); // (B, T, H, R/2, 2): consecutive pairs
    const x0 = slice(xp, 4, 0, 1), x1 = slice(xp, 4, 1, 2); // (B, T, H, R/2, 1) each
    const y0 = sub(mul(x0, cos), mul(x1, sin));
    const y1 = add(mul(x0, sin), mul(x1, cos));
    return reshape(concat([y0, y1], 4), [B, T, H, R]); // (B, T, H, R/2, 2) -> (B, T, H, R)
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
