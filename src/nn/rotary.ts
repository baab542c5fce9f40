/**
 * Rotary position embedding (Su et al. 2021, RoFormer), shared by both model families. Pair i of
 * the R rotated dimensions, (x[a], x[b]), turns by angle t * inv_i at position t:
 * (x[a] cos - x[b] sin, x[b] cos + x[a] sin). The two families pair the dimensions differently:
 * - 'pairs': a = 2i, b = 2i + 1, consecutive (DeepSeek-V3's `apply_rotary_emb`, its complex product);
 * - 'halves': a = i, b = i + R/2 (Hugging Face Llama/Qwen2 `rotate_half`).
 * Either way y = x * C[t] + (x @ P) * S[t], with C and S the cos and sin of pair i at both of its
 * places and P the signed swap of each pair ((x @ P)[a] = -x[b], (x @ P)[b] = x[a]): four ops, one
 * of them a small GEMM, and the float results of the pair formula (P has one +-1 per column, so
 * x @ P is exact). The position rows of C and S are looked up once (`at`) and can be shared by
 * every layer's rotations of one call.
 */
import { add, indexSelect, matmul, mul, reshape, slice, type Engine, type Tensor } from '../tensor/index.js';

export type RotaryLayout = 'pairs' | 'halves';

/** The rotation's rows for T positions: C and S as (T, 1, R), broadcast over heads. */
export interface RotaryRows {
  readonly cos: Tensor;
  readonly sin: Tensor;
}

export class Rotary {
  private readonly cos: Tensor;
  private readonly sin: Tensor;
  private readonly swap: Tensor;
  /** R, the rotated dimensions (twice the inverse frequencies). */
  readonly dim: number;

  constructor(
    engine: Engine,
    /** The R/2 inverse frequencies, pair i's at i. */
    invFreq: Float64Array,
    readonly maxLen: number,
    layout: RotaryLayout,
  ) {
    const half = invFreq.length,
      R = 2 * half,
      cos = new Float32Array(maxLen * R),
      sin = new Float32Array(maxLen * R),
      swap = new Float32Array(R * R);
    this.dim = R;
    const places = (i: number): [number, number] => (layout === 'pairs' ? [2 * i, 2 * i + 1] : [i, half + i]);
    for (let i = 0; i < half; i++) {
      const [a, b] = places(i);
      for (let t = 0; t < maxLen; t++) {
        const angle = t * invFreq[i]!;
        cos[t * R + a] = cos[t * R + b] = Math.cos(angle);
        sin[t * R + a] = sin[t * R + b] = Math.sin(angle);
      }
      swap[b * R + a] = -1; // column a takes -x[b]
      swap[a * R + b] = 1; // column b takes x[a]
    }
    this.cos = engine.keep(engine.tensor(cos, [maxLen, R]));
    this.sin = engine.keep(engine.tensor(sin, [maxLen, R]));
    this.swap = engine.keep(engine.tensor(swap, [R, R]));
  }

  /** The rows of T tokens at positions pos, pos + 1, ... (a number) or pos[t] (an int32 list). */
  at(pos: number | Int32Array, T: number): RotaryRows {
    const last = typeof pos === 'number' ? pos + T - 1 : pos.reduce((m, p) => Math.max(m, p), -1);
    if (last >= this.maxLen || (typeof pos !== 'number' && pos.length !== T))
      throw new Error(`rope: ${T} positions up to ${last}; the table holds ${this.maxLen}`);
    const rows = (table: Tensor): Tensor =>
      reshape(
        typeof pos === 'number'
          ? slice(table, 0, pos, pos + T)
          : indexSelect(table, 0, table.engine.tensor(pos, [T], 'i32')),
        [T, 1, this.dim],
      ); // (T, R) -> (T, 1, R)
    return { cos: rows(this.cos), sin: rows(this.sin) };
  }

  /** Rotates x [B, T, H, R] with the rows of its T tokens. Differentiable (a fixed linear map of x). */
  rotate(x: Tensor, rows: RotaryRows): Tensor {
    const T = rows.cos.shape[0]!;
    if (x.rank !== 4 || x.shape[1] !== T || x.shape[3] !== this.dim)
      throw new Error(`rope: x [${x.shape.join(', ')}] needs [B, ${T}, H, ${this.dim}]`);
    return add(mul(x, rows.cos), mul(matmul(x, this.swap), rows.sin)); // (B, T, H, R) @ (R, R) -> (B, T, H, R)
  }

  /** Rotates x [B, T, H, R] whose token t sits at position pos + t or pos[t]. */
  apply(x: Tensor, pos: number | Int32Array): Tensor {
    return this.rotate(x, this.at(pos, x.shape[1]!));
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
    this.swap.dispose();
  }
}
