/**
 * Rotary position embedding in the Hugging Face Llama/Qwen2 layout ("rotate half"): the head
 * dimension is split into halves (x1, x2) rotated as (x1 cos - x2 sin, x2 cos + x1 sin) with
 * inverse frequency inv_i for pair i (theta^(-2i/d), or Llama 3's rescaling of it: rope-scaling.ts).
 * (DeepSeek-V3 rotates consecutive pairs instead: src/models/deepseek-v3/rope.ts.)
 */
import { add, concat, indexSelect, mul, slice, sub, type Engine, type Tensor } from '../../tensor/index.js';

export class RotateHalfRope {
  private readonly cos: Tensor;
  private readonly sin: Tensor;

  constructor(
    engine: Engine,
    /** The d/2 inverse frequencies (ropeInvFreq). */
    invFreq: Float64Array,
    readonly maxLen: number,
  ) {
    const half = invFreq.length,
      cos = new Float32Array(maxLen * half),
      sin = new Float32Array(maxLen * half);
    for (let t = 0; t < maxLen; t++)
      for (let i = 0; i < half; i++) {
        const a = t * invFreq[i]!;
        cos[t * half + i] = Math.cos(a);
        sin[t * half + i] = Math.sin(a);
      }
    this.cos = engine.keep(engine.tensor(cos, [maxLen, half]));
    this.sin = engine.keep(engine.tensor(sin, [maxLen, half]));
  }

  /**
   * Rotates x [B, H, T, d] whose token t sits at position pos + t (pos a number, the same for every
   * row) or at pos[t] (an int32 list of T positions: packed rows of different slots).
   */
  apply(x: Tensor, pos: number | Int32Array): Tensor {
    const T = x.shape[2]!,
      d = x.shape[3]!,
      half = d / 2;
    const last = typeof pos === 'number' ? pos + T - 1 : pos.reduce((m, p) => Math.max(m, p), -1);
    if (last >= this.maxLen || (typeof pos !== 'number' && pos.length !== T))
      throw new Error(
        `rope: ${T} positions up to ${last} for x [${x.shape.join(', ')}]; the table holds ${this.maxLen}`,
      );
    const rows = (table: Tensor): Tensor =>
      typeof pos === 'number' ? slice(table, 0, pos, pos + T) : indexSelect(table, 0, x.engine.tensor(pos, [T], 'i32')); // (T, d/2)
    const cos = rows(this.cos),
      sin = rows(this.sin);
    const x1 = slice(x, 3, 0, half),
      x2 = slice(x, 3, half, d); // (B, H, T, d/2) each
    return concat([sub(mul(x1, cos), mul(x2, sin)), add(mul(x2, cos), mul(x1, sin))], 3); // (B, H, T, d)
  }

  dispose(): void {
    this.cos.dispose();
    this.sin.dispose();
  }
}
