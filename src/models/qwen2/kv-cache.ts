/**
 * The K/V cache of the dense students (Qwen2 / Llama): per layer, keys and values of `slots`
 * sequences, [slots, num_key_value_heads, maxLen, head_dim] each, and each slot's own length. A
 * forward call appends tokens to several slots at once, each at its own position (a PackedBatch,
 * src/nn/packed-rows.ts), as the MLA latent cache does for DeepSeek-V3, so the Scheduler's rows of
 * different lengths share every projection GEMM. Storage is kept out of scopes and freed by dispose().
 */
import { type PackedBatch, type RowSpan, SlotLengths } from '../../nn/packed-rows.js';
import { slice, type Engine, type Tensor } from '../../tensor/index.js';
import type { DenseConfig } from './config.js';

export class DenseKvCache extends SlotLengths {
  /** Keys of each layer, [slots, Hk, maxLen, hd]. */
  readonly k: Tensor[];
  /** Values of each layer, [slots, Hk, maxLen, hd]. */
  readonly v: Tensor[];
  private readonly heads: number;
  private readonly headDim: number;

  constructor(
    readonly engine: Engine,
    c: DenseConfig,
    slots: number,
    maxLen: number,
  ) {
    super('DenseKvCache', slots, maxLen);
    this.heads = c.num_key_value_heads;
    this.headDim = c.head_dim;
    const shape = [slots, this.heads, maxLen, this.headDim];
    this.k = Array.from({ length: c.num_hidden_layers }, () => engine.keep(engine.zeros(shape)));
    this.v = Array.from({ length: c.num_hidden_layers }, () => engine.keep(engine.zeros(shape)));
  }

  /** Bytes held (float32). */
  get bytes(): number {
    return 2 * this.k.length * this.slots * this.heads * this.maxLen * this.headDim * 4;
  }

  /** Stores packed keys and values (N, Hk, hd) of `layer` at their rows' slots and positions (no gradient). */
  write(layer: number, batch: PackedBatch, k: Tensor, v: Tensor): void {
    const e = this.engine,
      Hk = this.heads,
      hd = this.headDim,
      slotStride = Hk * this.maxLen * hd;
    for (const [store, x] of [
      [this.k[layer]!, e.contiguous(k)],
      [this.v[layer]!, e.contiguous(v)],
    ] as const) {
      for (const r of batch.rows) {
        // (count, Hk, hd) packed -> slot r.slot, positions start.. of every head
        e.backend.copy(
          x.ptr + r.offset * Hk * hd * 4,
          [Hk * hd, hd, 1],
          store.ptr + (r.slot * slotStride + r.start * hd) * 4,
          [hd, this.maxLen * hd, 1],
          [r.count, Hk, hd],
        );
      }
    }
  }

  /** The cached keys and values of `rows`' slots: (R, Hk, L, hd) each, L = the longest row's end (rows past a slot's end are stale). */
  rows(layer: number, rows: readonly RowSpan[]): { k: Tensor; v: Tensor } {
    let L = 0;
    for (const r of rows) L = Math.max(L, r.start + r.count);
    const R = rows.length,
      inOrder = rows.every((r, i) => r.slot === i),
      e = this.engine,
      Hk = this.heads,
      hd = this.headDim;
    const take = (store: Tensor): Tensor => {
      if (inOrder) return slice(slice(store, 2, 0, L), 0, 0, R); // (R, Hk, L, hd) view
      const out = e.empty([R, Hk, L, hd]); // gather each row's slot: one strided copy per row
      rows.forEach((r, i) =>
        e.backend.copy(
          store.ptr + r.slot * Hk * this.maxLen * hd * 4,
          [this.maxLen * hd, hd, 1],
          out.ptr + i * Hk * L * hd * 4,
          [L * hd, hd, 1],
          [Hk, L, hd],
        ),
      );
      return out;
    };
    return e.noGrad(() => ({ k: take(this.k[layer]!), v: take(this.v[layer]!) }));
  }

  /** Copies the cached tokens of slot `from` into slot `to` (its length becomes `from`'s). */
  copySlot(from: number, to: number): void {
    const n = this.copyLength(from, to),
      hd = this.headDim,
      slotBytes = this.heads * this.maxLen * hd * 4;
    if (n > 0)
      for (const store of [...this.k, ...this.v])
        this.engine.backend.copy(
          store.ptr + from * slotBytes,
          [this.maxLen * hd, hd, 1],
          store.ptr + to * slotBytes,
          [this.maxLen * hd, hd, 1],
          [this.heads, n, hd],
        ); // (Hk, n, hd)
    this.lengths[to] = n;
  }

  dispose(): void {
    for (const t of [...this.k, ...this.v]) t.dispose();
  }
}
