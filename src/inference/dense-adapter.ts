/**
 * A dense Qwen2 / Llama student (src/models/qwen2) behind the CausalLM seam, so the Scheduler,
 * the server and the samplers drive it as they drive DeepSeek-V3. The slots share one K/V cache
 * with a length per slot (src/models/qwen2/kv-cache.ts), so a forward call runs all its rows at
 * once, whatever their lengths (`DenseModel.stepRows`): every projection is one GEMM over the
 * packed tokens of all rows, which is what makes a group of rollouts or several chat requests
 * cheaper than one after the other. Rolling back is moving the slot's length back: later writes
 * overwrite the stale rows. No MTP drafting (the students have none).
 */
import { slotLimits, type CausalLM, type ForwardRow } from './causal-lm.js';
import type { DenseKvCache, DenseModel } from '../models/qwen2/model.js';

/** Adapter settings. */
export interface DenseLMOptions {
  /** Most concurrent sequences (default 8). */
  maxSlots?: number;
  /** Tokens per sequence (default: the model's RoPE table length). */
  maxContext?: number;
}

/** A dense student as a slot-based CausalLM. */
export class DenseLM implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly maxSlots: number;
  private readonly cache: DenseKvCache;
  private readonly used: boolean[];

  constructor(
    readonly model: DenseModel,
    options: DenseLMOptions = {},
  ) {
    this.vocabSize = model.config.vocab_size;
    ({ maxContext: this.maxContext, maxSlots: this.maxSlots } = slotLimits('DenseLM', model.rope.maxLen, options, 8));
    this.cache = model.createCache(this.maxSlots, this.maxContext);
    this.used = new Array<boolean>(this.maxSlots).fill(false);
  }

  allocSlot(): number {
    const i = this.used.indexOf(false);
    if (i < 0) throw new Error(`DenseLM: all ${this.maxSlots} slots are in use`);
    this.cache.truncate(i, 0);
    this.used[i] = true;
    return i;
  }

  freeSlot(slot: number): void {
    this.check(slot);
    this.cache.truncate(slot, 0);
    this.used[slot] = false;
  }

  /** A new slot whose K/V rows are a copy of `slot`'s. */
  fork(slot: number): number {
    this.check(slot);
    const i = this.allocSlot();
    this.cache.copySlot(slot, i);
    return i;
  }

  length(slot: number): number {
    this.check(slot);
    return this.cache.lengths[slot]!;
  }

  truncate(slot: number, length: number): void {
    this.check(slot);
    const n = this.cache.lengths[slot]!;
    if (!(Number.isInteger(length) && length >= 0 && length <= n))
      throw new Error(`DenseLM.truncate: length must be an integer in [0, ${n}], got ${length}`);
    this.cache.truncate(slot, length);
  }

  forward(rows: readonly ForwardRow[]): Float32Array[][] {
    const e = this.model.engine,
      V = this.vocabSize;
    const picks: number[] = [];
    let offset = 0;
    for (const r of rows) {
      const want = r.logits ?? 1,
        Tn = r.tokens.length;
      this.check(r.slot);
      if (Tn === 0 || !(Number.isInteger(want) && want >= 0 && want <= Tn))
        throw new Error(`DenseLM.forward: a row of ${Tn} tokens asks for ${want} logits`);
      for (let j = Tn - want; j < Tn; j++) picks.push(offset + j);
      offset += Tn;
    }
    // the model returns at least one position; a call that wants none reads its last and drops it
    const asked = picks.length > 0 ? picks : [offset - 1];
    const flat = e.noGrad(() =>
      e.scope(() => e.read(this.model.stepRows(this.cache, rows, asked).logits) as Float32Array),
    ); // (P * V)
    let k = 0;
    return rows.map((r) => Array.from({ length: r.logits ?? 1 }, () => flat.slice(k * V, ++k * V)));
  }

  private check(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.maxSlots && this.used[slot]))
      throw new Error(`DenseLM: slot ${slot} is not allocated`);
  }

  /** Frees the cache (the model and its parameters belong to the caller). */
  dispose(): void {
    this.cache.dispose();
    this.used.fill(false);
  }
}
