/**
 * The absorbed MLA latent cache (V2 paper 2.1.3, V3 paper 2.1.1): per layer and token only
 * kv_a_layernorm(c) (kv_lora_rank values) followed by the rotated k_pe (qk_rope_head_dim values),
 * instead of 2 * heads * head_dim keys and values. DeepSeek's inference/model.py keeps the same two
 * pieces as `kv_cache` and `pe_cache`; here they are one row [kv_lora_rank + rope] so the cache
 * itself is the attention key and its first kv_lora_rank columns the value.
 *
 * All rows of a batch advance together (`length` is shared). Storage is kept out of scopes and
 * freed by dispose().
 */
import type { Engine, Tensor } from '../../tensor/index.js';
import { slice } from '../../tensor/index.js';

export class LatentCache {
  /** One [batch, maxLen, width] tensor per cached layer. */
  readonly layers: Tensor[];
  /** Tokens cached so far (the next token's position). */
  length = 0;

  constructor(readonly engine: Engine, numLayers: number, readonly batch: number, readonly maxLen: number, readonly width: number) {
    for (const [name, v] of [['numLayers', numLayers], ['batch', batch], ['maxLen', maxLen], ['width', width]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`LatentCache: ${name} must be a positive integer, got ${v}`);
    }
    this.layers = Array.from({ length: numLayers }, () => engine.keep(engine.zeros([batch, maxLen, width])));
  }

  /** Bytes held (float32). */
  get bytes(): number { return this.layers.length * this.batch * this.maxLen * this.width * 4; }

  /** Stores rows [B, Tn, width] of `layer` at positions start..start+Tn (no gradient). */
  write(layer: number, rows: Tensor, start: number): void {
    const [B, Tn, W] = rows.shape as [number, number, number];
    if (B !== this.batch || W !== this.width || start + Tn > this.maxLen) {
      throw new Error(`LatentCache.write: rows [${rows.shape.join(', ')}] at ${start} do not fit a cache [${this.batch}, ${this.maxLen}, ${this.width}]`);
    }
    const dst = this.engine.noGrad(() => slice(this.layers[layer]!, 1, start, start + Tn)); // (B, Tn, W) view
    this.engine.backend.copy(rows.ptr, rows.strides, dst.ptr, dst.strides, rows.shape);
    dst.dispose();
  }

  /** The first `end` cached rows of `layer`: a view [B, end, width]. */
  read(layer: number, end: number): Tensor {
    return this.engine.noGrad(() => slice(this.layers[layer]!, 1, 0, end));
  }

  dispose(): void {
    for (const t of this.layers) t.dispose();
  }
}
