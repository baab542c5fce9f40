/**
 * Packed rows of one cached forward call, shared by the slot caches of both model families (the
 * MLA latent cache, src/models/deepseek-v3/cache.ts, and the dense K/V cache,
 * src/models/qwen2/kv-cache.ts). A cache holds `slots` sequences, each with its own length; a call
 * appends `count` tokens to each of several slots, at that slot's current length, with the tokens
 * of all rows packed one after the other. That is what continuous batching needs: a decode row of
 * one token beside a prefill chunk of 500 runs in one call, every projection one GEMM over all of
 * them, and only attention looks at rows apart.
 */
import type { Tensor } from '../tensor/index.js';
import { attention, concat, indexSelect, permute, reshape } from '../tensor/index.js';

/** One sequence's part of a packed call: `count` tokens at positions start.. of `slot`. */
export interface RowSpan {
  readonly slot: number;
  readonly start: number;
  readonly count: number;
  /** Index of the row's first token in the packed token list. */
  readonly offset: number;
}

/** The layout of one forward call over a slot cache. */
export interface PackedBatch {
  readonly rows: readonly RowSpan[];
  /** Tokens in the call. */
  readonly total: number;
  /** Position of every packed token. */
  readonly positions: Int32Array;
  /** True when rows are slots 0..R-1 in order with equal start and count (a dense [R, n] batch). */
  readonly uniform: boolean;
}

/**
 * Lays out a call appending counts[i] tokens to slots[i] of a cache whose slots hold `lengths`
 * tokens of at most `maxLen` (slots distinct; `who` names the cache in errors).
 */
export function packRows(
  who: string,
  lengths: Int32Array,
  maxLen: number,
  slots: readonly number[],
  counts: readonly number[],
): PackedBatch {
  if (slots.length === 0 || slots.length !== counts.length)
    throw new Error(
      `${who}.pack: ${slots.length} slots and ${counts.length} counts; need one count per slot, >= 1 row`,
    );
  const rows: RowSpan[] = [];
  const seen = new Set<number>();
  let total = 0;
  slots.forEach((slot, i) => {
    const count = counts[i]!,
      start = lengths[slot]!;
    if (!Number.isInteger(slot) || slot < 0 || slot >= lengths.length || seen.has(slot))
      throw new Error(`${who}.pack: slot ${slot} is out of range [0, ${lengths.length}) or repeated`);
    if (!Number.isInteger(count) || count < 1 || start + count > maxLen) {
      throw new Error(
        `${who}.pack: ${count} tokens for slot ${slot} (holding ${start}) overflow the cache of ${maxLen}`,
      );
    }
    seen.add(slot);
    rows.push({ slot, start, count, offset: total });
    total += count;
  });
  const positions = new Int32Array(total);
  for (const r of rows) for (let i = 0; i < r.count; i++) positions[r.offset + i] = r.start + i;
  const r0 = rows[0]!;
  const uniform = rows.every((r, i) => r.slot === i && r.start === r0.start && r.count === r0.count);
  return { rows, total, positions, uniform };
}

/**
 * The slot bookkeeping both caches share: each slot's length, laying out a call (pack), advancing
 * after it, rolling a slot back, and the argument check of a slot copy. `who` names the cache in errors.
 */
export class SlotLengths {
  /** Tokens cached in each slot. */
  readonly lengths: Int32Array;

  constructor(
    protected readonly who: string,
    readonly slots: number,
    readonly maxLen: number,
  ) {
    for (const [name, v] of [
      ['slots', slots],
      ['maxLen', maxLen],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`${who}: ${name} must be a positive integer, got ${v}`);
    }
    this.lengths = new Int32Array(slots);
  }

  /** Lays out a call appending counts[i] tokens to slots[i] (distinct slots, at their current lengths). */
  pack(slots: readonly number[], counts: readonly number[]): PackedBatch {
    return packRows(this.who, this.lengths, this.maxLen, slots, counts);
  }

  /** Advances each row's slot by its count (after every layer wrote). */
  advance(batch: PackedBatch): void {
    for (const r of batch.rows) this.lengths[r.slot] = r.start + r.count;
  }

  /** Keeps the first `length` tokens of `slot` (later writes overwrite the rest). */
  truncate(slot: number, length: number): void {
    if (
      !(slot >= 0 && slot < this.slots) ||
      !(Number.isInteger(length) && length >= 0 && length <= this.lengths[slot]!)
    )
      throw new Error(`${this.who}.truncate: slot ${slot} holds ${this.lengths[slot]} tokens; cannot keep ${length}`);
    this.lengths[slot] = length;
  }

  /** Checks a copy of slot `from` into slot `to` and returns the tokens to copy. */
  protected copyLength(from: number, to: number): number {
    if (!(from >= 0 && from < this.slots && to >= 0 && to < this.slots && from !== to))
      throw new Error(`${this.who}.copySlot: slots ${from} -> ${to} must be distinct and in [0, ${this.slots})`);
    return this.lengths[from]!;
  }
}

/** Cached keys and values of some rows' slots: k (R, Hk, L, Dk), v (R, Hk, L, Dv), L = the longest row's end. */
export type RowKeys = (rows: readonly RowSpan[]) => { k: Tensor; v: Tensor };

/**
 * Causal attention of packed queries q (N, H, Dk) over each row's cached keys and values (this
 * call's tokens already written): query t of a row sees its slot's positions <= start + t.
 * Returns (N, H, Dv) in packed order.
 * - uniform batch: one attention call over [R, n] with the op's end-aligned causal mask;
 * - ragged batch: rows grouped by token count, one call per group with an additive mask, so a
 *   long prefill chunk next to one-token decode rows costs no padding.
 */
export function packedAttention(q: Tensor, batch: PackedBatch, keys: RowKeys, scale?: number): Tensor {
  const e = q.engine,
    [N, H, Dk] = q.shape as [number, number, number];
  if (N !== batch.total)
    throw new Error(`packedAttention: q [${q.shape.join(', ')}] does not hold the batch's ${batch.total} tokens`);
  if (batch.uniform) {
    const R = batch.rows.length,
      n = batch.rows[0]!.count;
    const { k, v } = keys(batch.rows);
    const qb = permute(reshape(q, [R, n, H, Dk]), [0, 2, 1, 3]); // (R, H, n, Dk)
    const o = attention(qb, k, v, { scale, causal: true }); // (R, H, n, Dv)
    return reshape(permute(o, [0, 2, 1, 3]), [N, H, o.shape[3]!]); // (R, n, H, Dv) -> (N, H, Dv)
  }
  const groups = new Map<number, RowSpan[]>();
  for (const r of batch.rows) groups.set(r.count, [...(groups.get(r.count) ?? []), r]);
  const q2 = reshape(q, [N, H * Dk]); // (N, H*Dk)
  const outs: Tensor[] = [],
    order = new Int32Array(N);
  let at = 0,
    Dv = 0;
  for (const [n, rows] of groups) {
    const { k, v } = keys(rows); // (G, Hk, L, Dk), (G, Hk, L, Dv)
    const G = rows.length,
      L = k.shape[2]!,
      idx = new Int32Array(G * n),
      mask = new Float32Array(G * n * L).fill(-Infinity);
    rows.forEach((r, i) => {
      for (let t = 0; t < n; t++) {
        idx[i * n + t] = r.offset + t;
        order[r.offset + t] = at + i * n + t;
        mask.fill(0, (i * n + t) * L, (i * n + t) * L + r.start + t + 1);
      }
    });
    const qg = permute(reshape(indexSelect(q2, 0, e.tensor(idx, [G * n], 'i32')), [G, n, H, Dk]), [0, 2, 1, 3]); // (G, H, n, Dk)
    const o = attention(qg, k, v, { scale, mask: e.tensor(mask, [G, n, L]) }); // (G, H, n, Dv)
    Dv = o.shape[3]!;
    outs.push(reshape(permute(o, [0, 2, 1, 3]), [G * n, H * Dv])); // (G*n, H*Dv)
    at += G * n;
  }
  const all = outs.length === 1 ? outs[0]! : concat(outs, 0); // (N, H*Dv), group order
  return reshape(indexSelect(all, 0, e.tensor(order, [N], 'i32')), [N, H, Dv]); // (N, H, Dv), packed order
}
