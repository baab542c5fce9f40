/**
 * Rotary position embedding of the dense students, in the Hugging Face Llama/Qwen2 layout ("rotate
 * half"): the head dimension is split into halves (x1, x2) rotated as (x1 cos - x2 sin, x2 cos +
 * x1 sin), with inverse frequency inv_i for pair i (theta^(-2i/d), or Llama 3's rescaling of it:
 * rope-scaling.ts). The rotation itself is the shared src/nn/rotary.ts; DeepSeek-V3 rotates
 * consecutive pairs with it instead (src/models/deepseek-v3/rope.ts).
 */
import type { Engine } from '../../tensor/index.js';
import { Rotary } from '../../nn/rotary.js';

export class RotateHalfRope extends Rotary {
  constructor(
    engine: Engine,
    /** The d/2 inverse frequencies (ropeInvFreq). */
    invFreq: Float64Array,
    maxLen: number,
  ) {
    super(engine, invFreq, maxLen, 'halves');
  }
}
