/**
 * Rotary position embedding in the Hugging Face Llama/Qwen2 layout ("rotate half"): the head
 * dimension is split into halves (x1, x2) rotated as (x1 cos - x2 sin, x2 cos + x1 sin) with
 * inverse frequency inv_i for pair i (theta^(-2i/d), or Llama 3's rescaling of it: rope-scaling.ts).
 * (DeepSeek-V3 rotates consecutive pairs instead: src/models/deepseek-v3/rope.ts.)
 *
 * Computed as y = x * C[t] + (x @ P) * S[t], with C = (cos, cos) and S = (sin, sin) over the two
 * halves and P the signed half swap ((x @ P)[i] = -x[i + d/2], (x @ P)[i + d/2] = x[i]): four ops
 * per rotation, one of them a small GEMM, and the same float results as the halves' formula (P
 * has one +-1 per column, so x @ P is exact). The position rows of C and S are looked up once per
 * call (`at`) and shared by every layer's q and k: decoding a 28-layer model then issues 4 ops
 * per rotation instead of 11 plus two permutes and their copies.
 */
import { add, indexSelect, matmul, mul, reshape, slice, type Engine, type Tensor } from '../../tensor/index.js';

/** The rotation's rows for T positions: C and S as (T, 1, d), broadcast over heads. */
export interface RopeRows {
  readonly cos: Tensor;
  readonly sin: Tensor;
  readonly positions: number;
}

export class RotateHalfRope {
  private readonly cos: Tensor;
  private readonly sin: Tensor;
  private readonly swap: Tensor;
  readonly dim: number;

  constructor(
    engine: Engine,
    /** The d/2 inverse frequencies (ropeInvFreq). */
    invFreq: Float64Array,
    readonly maxLen: number,
  ) {
    const half = invFreq.length,
      d = 2 * half,
      cos = new Float32Array(maxLen * d),
      sin = new Float32Array(maxLen * d),
      swap = new Float32Array(d * d);
    this.dim = d;
    for (let t = 0; t < maxLen; t++)
      for (let i = 0; i < half; i++) {
        const a = t * invFreq[i]!;
        cos[t * d + i] = cos[t * d + half + i] = Math.cos(a);
        sin[t * d + i] = sin[t * d + half + i] = Math.sin(a);
      }
    for (let i = 0; i < half; i++) {
      swap[(half + i) * d + i] = -1; // column i takes -x[i + d/2]
      swap[i * d + half + i] = 1; // column i + d/2 takes x[i]
    }
    this.cos = engine.keep(engine.tensor(cos, [maxLen, d]));
    this.sin = engine.keep(engine.tensor(sin, [maxLen, d]));
    this.swap = engine.keep(engine.tensor(swap, [d, d]));
  }

  /** The rows of T tokens at positions pos, pos + 1, ... (a number) or pos[t] (an int32 list). */
  at(pos: number | Int32Array, T: number): RopeRows {
    const last = typeof pos === 'number' ? pos + T - 1 : pos.reduce((m, p) => Math.max(m, p), -1);
    if (last >= this.maxLen || (typeof pos !== 'number' && pos.length !== T))
      throw new Error(`rope: ${T} positions up to ${last}; the table holds ${this.maxLen}`);
    const rows = (table: Tensor): Tensor =>
      reshape(
        typeof pos === 'number'
          ? slice(table, 0, pos, pos + T)
          : indexSelect(table, 0, table.engine.tensor(pos, [T], 'i32')),
        [T, 1, this.dim],
      ); // (T, d) -> (T, 1, d)
    return { cos: rows(this.cos), sin: rows(this.sin), positions: T };
  }

  /** Rotates x [B, T, H, d] with the rows of its T tokens. Differentiable (a fixed linear map of x). */
  rotate(x: Tensor, rows: RopeRows): Tensor {
    const [, T, , d] = x.shape as [number, number, number, number];
    if (x.rank !== 4 || d !== this.dim || T !== rows.positions)
      throw new Error(`rope: x [${x.shape.join(', ')}] needs [B, ${rows.positions}, H, ${this.dim}]`);
    return add(mul(x, rows.cos), mul(matmul(x, this.swap), rows.sin)); // (B, T, H, d) @ (d, d) -> (B, T, H, d)
  }

  /** Rotates x [B, T, H, d] whose token t sits at position pos + t or pos[t]. */
  apply(x: Tensor, pos: number | Int32Array): Tensor {
    return this.rotate(x, this.at(pos, x.shape[1]!));
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
    this.swap.dispose();
  }
}
