/**
 * A dense Qwen2 / Llama student (src/models/qwen2) behind the CausalLM seam, so the Scheduler,
 * the server and the samplers drive it as they drive DeepSeek-V3. Each slot owns a batch-1 K/V
 * cache (the dense cache advances all its rows together, so slots of different lengths cannot
 * share one); a forward call runs its rows one after the other. Rolling back is moving the slot's
 * length back: later writes overwrite the stale rows. No MTP drafting (the students have none).
 */
import { slotLimits, type CausalLM, type ForwardRow } from './causal-lm.js';
import type { DenseKvCache, DenseModel } from '../models/qwen2/model.js';
import { slice } from '../tensor/index.js';

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
  private readonly caches: Array<DenseKvCache | undefined>;

  constructor(
    readonly model: DenseModel,
    options: DenseLMOptions = {},
  ) {
    this.vocabSize = model.config.vocab_size;
    ({ maxContext: this.maxContext, maxSlots: this.maxSlots } = slotLimits('DenseLM', model.rope.maxLen, options, 8));
    this.caches = new Array<DenseKvCache | undefined>(this.maxSlots).fill(undefined);
  }

  allocSlot(): number {
    const i = this.caches.indexOf(undefined);
    if (i < 0) throw new Error(`DenseLM: all ${this.maxSlots} slots are in use`);
    this.caches[i] = this.model.createCache(1, this.maxContext);
    return i;
  }

  freeSlot(slot: number): void {
    this.cache(slot).dispose();
    this.caches[slot] = undefined;
  }

  /** A new slot whose K/V cache is a copy of `slot`'s first `length` rows. */
  fork(slot: number): number {
    const from = this.cache(slot),
      i = this.allocSlot(),
      to = this.caches[i]!,
      be = this.model.engine.backend;
    to.length = from.length;
    if (from.length > 0)
      this.model.engine.scope(() => {
        for (const kind of ['k', 'v'] as const)
          from[kind].forEach((store, l) => {
            const src = slice(store, 2, 0, from.length), // (1, Hk, length, hd)
              dst = slice(to[kind][l]!, 2, 0, from.length);
            be.copy(src.ptr, src.strides, dst.ptr, dst.strides, src.shape);
          });
      });
    return i;
  }

  length(slot: number): number {
    return this.cache(slot).length;
  }

  truncate(slot: number, length: number): void {
    const c = this.cache(slot);
    if (!(Number.isInteger(length) && length >= 0 && length <= c.length))
      throw new Error(`DenseLM.truncate: length must be an integer in [0, ${c.length}], got ${length}`);
    c.length = length;
  }

  forward(rows: readonly ForwardRow[]): Float32Array[][] {
    const e = this.model.engine,
      V = this.vocabSize;
    return rows.map((r) => {
      const want = r.logits ?? 1,
        cache = this.cache(r.slot),
        Tn = r.tokens.length;
      if (Tn === 0 || !(want >= 0 && want <= Tn))
        throw new Error(`DenseLM.forward: a row of ${Tn} tokens asks for ${want} logits`);
      return e.noGrad(() =>
        e.scope(() => {
          const last = Math.max(want, 1);
          const logits = this.model.step(cache, e.tensor(r.tokens, [1, Tn], 'i32'), last); // (1, last, V)
          const flat = want > 0 ? (e.read(slice(logits, 1, last - want, last)) as Float32Array) : new Float32Array(0); // (want * V)
          return Array.from({ length: want }, (_, k) => flat.slice(k * V, (k + 1) * V));
        }),
      );
    });
  }

  private cache(slot: number): DenseKvCache {
    const c = this.caches[slot];
    if (c === undefined) throw new Error(`DenseLM: slot ${slot} is not allocated`);
    return c;
  }

  /** Frees every slot's cache (the model and its parameters belong to the caller). */
  dispose(): void {
    this.caches.forEach((c, i) => {
      if (c) {
        c.dispose();
        this.caches[i] = undefined;
      }
    });
  }
}
