/**
 * DeepSeek-V3 behind the generation engine's slot seam (the CausalLM shape of
 * src/inference/causal-lm.ts, matched structurally so this layer does not import the one above):
 * slots of the absorbed latent cache, ragged batched forwards (model.stepRows), rollback by
 * truncation, and MTP drafting (V3 paper 2.2, 5.4.3) when the config has MTP modules.
 *
 * Drafting with module 1 needs, for every cached position i, the main model's hidden state h_i and
 * the token t_{i+1}. Both are kept per slot (hidden states in JS memory, D floats per position);
 * MTP latent rows are computed lazily at draft time for the positions that lack them, the last one
 * with the caller's `next` token. A truncation drops the MTP rows whose t_{i+1} was cut.
 * Departure: only the first MTP module drafts (one token ahead), as DeepSeek serves V3.
 */
import type { Engine } from '../../tensor/index.js';
import { LatentCache } from './cache.js';
import type { DeepseekV3 } from './model.js';
import { mtpStep } from './mtp.js';

export interface SlotRow {
  readonly slot: number;
  readonly tokens: readonly number[];
  /** Logits wanted for the last `logits` positions (default 1). */
  readonly logits?: number;
}

export class DeepseekV3SlotLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  /** MTP drafting (present when the config has MTP modules). */
  readonly draft?: (slots: readonly number[], next: readonly number[]) => Float32Array[];
  private readonly engine: Engine;
  private readonly cache: LatentCache;
  private readonly mtpCache: LatentCache | null;
  private readonly used: boolean[];
  private readonly tokens: number[][];
  private readonly hidden: Float32Array[];

  constructor(readonly model: DeepseekV3, readonly maxSlots: number, maxContext = model.rope.maxLen) {
    const c = model.config;
    this.engine = model.engine;
    this.vocabSize = c.vocab_size;
    this.maxContext = maxContext;
    this.cache = model.createCache(maxSlots, maxContext);
    this.used = new Array<boolean>(maxSlots).fill(false);
    this.tokens = Array.from({ length: maxSlots }, () => []);
    const D = c.hidden_size;
    this.mtpCache = c.num_nextn_predict_layers > 0 ? new LatentCache(this.engine, 1, maxSlots, maxContext, c.kv_lora_rank + c.qk_rope_head_dim) : null;
    this.hidden = this.mtpCache ? Array.from({ length: maxSlots }, () => new Float32Array(maxContext * D)) : [];
    if (this.mtpCache) this.draft = (slots, next) => this.draftTokens(slots, next);
  }

  allocSlot(): number {
    const s = this.used.indexOf(false);
    if (s < 0) throw new Error(`allocSlot: all ${this.maxSlots} slots are in use`);
    this.used[s] = true;
    return s;
  }

  freeSlot(slot: number): void {
    this.truncate(slot, 0);
    this.used[slot] = false;
  }

  length(slot: number): number {
    this.checkSlot(slot);
    return this.cache.lengths[slot]!;
  }

  truncate(slot: number, length: number): void {
    this.checkSlot(slot);
    this.cache.truncate(slot, length);
    this.tokens[slot]!.length = length;
    if (this.mtpCache) this.mtpCache.truncate(slot, Math.min(this.mtpCache.lengths[slot]!, Math.max(length - 1, 0)));
  }

  /** Appends each row's tokens to its slot; per row, the logits after its last `logits` positions. */
  forward(rows: readonly SlotRow[]): Float32Array[][] {
    for (const r of rows) this.checkSlot(r.slot);
    const V = this.vocabSize, D = this.model.config.hidden_size;
    return this.engine.noGrad(() => this.engine.scope(() => {
      const out = this.model.stepRows(this.cache, rows);
      const logits = this.engine.read(out.logits) as Float32Array;
      const hidden = this.mtpCache ? (this.engine.read(out.hidden) as Float32Array) : null;
      return rows.map((r, i) => {
        const span = out.batch.rows[i]!, want = r.logits ?? 1;
        if (!(Number.isInteger(want) && want >= 0 && want <= r.tokens.length)) throw new Error(`forward: row ${i} asks for ${want} logits of ${r.tokens.length} tokens`);
        this.tokens[r.slot]!.push(...r.tokens);
        if (hidden) this.hidden[r.slot]!.set(hidden.subarray(span.offset * D, (span.offset + span.count) * D), span.start * D);
        const end = span.offset + span.count;
        return Array.from({ length: want }, (_, j) => logits.slice((end - want + j) * V, (end - want + j + 1) * V));
      });
    }));
  }

  /** Module 1's logits for the token after next[i], given slot i's cached tokens and next[i]. */
  private draftTokens(slots: readonly number[], next: readonly number[]): Float32Array[] {
    const mc = this.mtpCache!, D = this.model.config.hidden_size, V = this.vocabSize;
    const counts = slots.map((s) => {
      this.checkSlot(s);
      const n = this.cache.lengths[s]! - mc.lengths[s]!;
      if (n < 1) throw new Error(`draft: slot ${s} has no new position to draft from (forward it first)`);
      return n;
    });
    return this.engine.noGrad(() => this.engine.scope(() => {
      const batch = mc.pack(slots, counts);
      const h = new Float32Array(batch.total * D), ids = new Int32Array(batch.total);
      batch.rows.forEach((r, i) => {
        h.set(this.hidden[r.slot]!.subarray(r.start * D, (r.start + r.count) * D), r.offset * D);
        for (let t = 0; t < r.count; t++) ids[r.offset + t] = t === r.count - 1 ? next[i]! : this.tokens[r.slot]![r.start + t + 1]!;
      });
      const shape = batch.uniform ? [slots.length, counts[0]!] : [1, batch.total];
      const out = mtpStep(this.model, 1, mc, batch, this.engine.tensor(h, [...shape, D]), this.engine.tensor(ids, shape, 'i32'));
      const logits = this.engine.read(out.logits) as Float32Array;
      return batch.rows.map((r) => logits.slice((r.offset + r.count - 1) * V, (r.offset + r.count) * V));
    }));
  }

  private checkSlot(slot: number): void {
    if (!(Number.isInteger(slot) && slot >= 0 && slot < this.maxSlots && this.used[slot])) {
      throw new Error(`slot ${slot} is not an allocated slot (0..${this.maxSlots - 1})`);
    }
  }

  /** Frees the caches (the model and its parameters belong to the caller). */
  dispose(): void {
    this.cache.dispose();
    this.mtpCache?.dispose();
  }
}
