/**
 * The absorbed MLA latent cache (V2 paper 2.1.3, V3 paper 2.1.1): per layer and token only
 * kv_a_layernorm(c) (kv_lora_rank values) followed by the rotated k_pe (qk_rope_head_dim values),
 * instead of 2 * heads * head_dim keys and values. DeepSeek's inference/model.py keeps the same two
 * pieces as `kv_cache` and `pe_cache`; here they are one row [kv_lora_rank + rope] so the cache
 * itself is the attention key and its first kv_lora_rank columns the value.
 *
 * The cache has `slots` sequences, each with its own length, so one forward call can append
 * different numbers of tokens to different sequences (continuous batching, chunked prefill). A call
 * is described by a PackedBatch (src/nn/packed-rows.ts): rows (slot, start, count) whose tokens are
 * packed one after the other. Storage is kept out of scopes and freed by dispose().
 */
import { type PackedBatch, type RowSpan, SlotLengths } from '../../nn/packed-rows.js';
import type { Engine, Tensor } from '../../tensor/index.js';
import { reshape, slice } from '../../tensor/index.js';

export type { PackedBatch, RowSpan };

export class LatentCache extends SlotLengths {
  /** One [slots, maxLen, width] tensor per cached layer. */
  readonly layers: Tensor[];

  constructor(
    readonly engine: Engine,
    numLayers: number,
    slots: number,
    maxLen: number,
    readonly width: number,
  ) {
    super('LatentCache', slots, maxLen);
    for (const [name, v] of [
      ['numLayers', numLayers],
      ['width', width],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`LatentCache: ${name} must be a positive integer, got ${v}`);
    }
    this.layers = Array.from({ length: numLayers }, () => engine.keep(engine.zeros([slots, maxLen, width])));
  }

  /** Bytes held (float32). */
  get bytes(): number {
    return this.layers.length * this.slots * this.maxLen * this.width * 4;
  }

  /** The common length of every slot (an error when slots differ). */
  get length(): number {
    const l = this.lengths[0]!;
    if (this.lengths.some((x) => x !== l))
      throw new Error(`LatentCache.length: slots hold different lengths [${this.lengths.join(', ')}]`);
    return l;
  }

  /** Stores the packed rows [total, width] of `layer` at their slots and positions (no gradient). */
  write(layer: number, batch: PackedBatch, rows: Tensor): void {
    const src = this.engine.contiguous(rows),
      dst = this.layers[layer]!,
      be = this.engine.backend,
      W = this.width;
    if (batch.uniform) {
      // one strided copy: (R, n, W) into slots 0..R-1 at the shared start
      const { start, count } = batch.rows[0]!;
      be.copy(
        src.ptr,
        [count * W, W, 1],
        dst.ptr + start * W * 4,
        [this.maxLen * W, W, 1],
        [batch.rows.length, count, W],
      );
      return;
    }
    for (const r of batch.rows) {
      const from = src.ptr + r.offset * this.width * 4,
        to = dst.ptr + (r.slot * this.maxLen + r.start) * this.width * 4;
      be.copy(from, [this.width, 1], to, [this.width, 1], [r.count, this.width]);
    }
  }

  /** The cached rows of `rows`' slots: [R, 1, L, width] with L = the longest row's end (rows past a slot's end are stale). */
  keys(layer: number, rows: readonly RowSpan[]): Tensor {
    let L = 0;
    for (const r of rows) L = Math.max(L, r.start + r.count);
    const R = rows.length,
      inOrder = rows.every((r, i) => r.slot === i);
    const src = this.layers[layer]!,
      W = this.width;
    if (inOrder) return this.engine.noGrad(() => reshape(slice(slice(src, 1, 0, L), 0, 0, R), [R, 1, L, W])); // (R, 1, L, W)
    const out = this.engine.empty([R, 1, L, W]); // gather each row's slot: one block copy per row
    rows.forEach((r, i) =>
      this.engine.backend.copy(src.ptr + r.slot * this.maxLen * W * 4, [W, 1], out.ptr + i * L * W * 4, [W, 1], [L, W]),
    );
    return out;
  }

  /** Copies the cached rows of slot `from` into slot `to` (its length becomes `from`'s). */
  copySlot(from: number, to: number): void {
    const n = this.copyLength(from, to),
      W = this.width,
      slotBytes = this.maxLen * W * 4;
    if (n > 0)
      for (const layer of this.layers)
        this.engine.backend.copy(layer.ptr + from * slotBytes, [W, 1], layer.ptr + to * slotBytes, [W, 1], [n, W]); // (n, W)
    this.lengths[to] = n;
  }

  dispose(): void {
    for (const t of this.layers) t.dispose();
  }
}
