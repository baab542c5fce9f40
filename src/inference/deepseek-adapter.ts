/**
 * DeepSeek-V3 (src/models/deepseek-v3) behind the CausalLM seam. All slots share one absorbed MLA
 * latent cache (V3 paper 2.1.1: kv_lora_rank + qk_rope_head_dim floats per layer and token) with a
 * length per slot, and one `stepRows` call runs every row of a step, whatever its slot's length:
 * that is what makes continuous batching cheap. Rolling back a draft is truncating the slot.
 *
 * MTP drafting (V3 paper 2.2, 5.4.3) uses module 1 on a one-layer latent cache of its own per slot.
 * Its entry at position p combines the main model's hidden state h_p with the token t_{p+1}, so
 * after each forward the entries whose next token is known are filled in ("catch-up"), and
 * `draft(next)` adds the entry for the last position with the token about to be fed, returning the
 * module's logits for the token after it. (Drafting runs slot by slot: `mtpDraft` takes uniform
 * batches only; the module is one block, so this is the cheaper part of a step.)
 */
import { slotLimits, type CausalLM, type ForwardRow } from './causal-lm.js';
import { LatentCache } from '../models/deepseek-v3/cache.js';
import type { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { mtpDraft } from '../models/deepseek-v3/mtp.js';
import { concat, indexSelect, reshape, slice, type Tensor } from '../tensor/index.js';

/** Adapter settings. */
export interface DeepseekLMOptions {
  /** Most concurrent sequences (default 16). */
  maxSlots?: number;
  /** Tokens per sequence (default: the model's RoPE table length). */
  maxContext?: number;
  /** Draft with MTP module 1 when the checkpoint has one (default true). */
  mtp?: boolean;
}

interface Slot {
  mtpCache: LatentCache | undefined;
  /** Pre-norm hidden states (1, Tn, D) of the slot's last forward row, for positions hiddenStart.. (kept). */
  hidden: Tensor | undefined;
  hiddenStart: number;
}

/** A DeepSeek-V3 model as a slot-based CausalLM. */
export class DeepseekV3LM implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly maxSlots: number;
  readonly draft?: (slots: readonly number[], next: readonly number[]) => Float32Array[];
  private readonly cache: LatentCache;
  private readonly slots: Array<Slot | undefined>;
  private readonly width: number;

  constructor(
    readonly model: DeepseekV3,
    options: DeepseekLMOptions = {},
  ) {
    const c = model.config;
    this.vocabSize = c.vocab_size;
    ({ maxContext: this.maxContext, maxSlots: this.maxSlots } = slotLimits(
      'DeepseekV3LM',
      model.rope.maxLen,
      options,
      16,
    ));
    this.slots = new Array<Slot | undefined>(this.maxSlots).fill(undefined);
    this.width = c.kv_lora_rank + c.qk_rope_head_dim;
    this.cache = model.createCache(this.maxSlots, this.maxContext);
    if ((options.mtp ?? true) && c.num_nextn_predict_layers > 0)
      this.draft = (slots, next) => slots.map((s, i) => this.draftOne(s, next[i]!));
  }

  allocSlot(): number {
    const i = this.slots.indexOf(undefined);
    if (i < 0) throw new Error(`DeepseekV3LM: all ${this.maxSlots} slots are in use`);
    this.cache.truncate(i, 0);
    this.slots[i] = {
      mtpCache: this.draft ? new LatentCache(this.model.engine, 1, 1, this.maxContext, this.width) : undefined,
      hidden: undefined,
      hiddenStart: 0,
    };
    return i;
  }

  freeSlot(slot: number): void {
    const s = this.slot(slot);
    s.mtpCache?.dispose();
    s.hidden?.dispose();
    this.cache.truncate(slot, 0);
    this.slots[slot] = undefined;
  }

  /** A new slot with `slot`'s latent rows, MTP rows and last hidden state (what drafting reads). */
  fork(slot: number): number {
    const s = this.slot(slot),
      e = this.model.engine;
    const i = this.allocSlot(),
      child = this.slots[i]!;
    this.cache.copySlot(slot, i);
    if (s.mtpCache && child.mtpCache) {
      const n = s.mtpCache.lengths[0]!,
        W = this.width;
      if (n > 0)
        s.mtpCache.layers.forEach((from, l) =>
          e.backend.copy(from.ptr, [W, 1], child.mtpCache!.layers[l]!.ptr, [W, 1], [n, W]),
        ); // (n, W)
      child.mtpCache.lengths[0] = n;
    }
    if (s.hidden) {
      const h = s.hidden,
        Tn = h.shape[1]!;
      e.scope(() => {
        const last = slice(h, 1, Tn - 1, Tn), // (1, 1, D)
          copy = e.keep(e.empty(last.shape));
        e.backend.copy(last.ptr, last.strides, copy.ptr, copy.strides, last.shape);
        child.hidden = copy;
      });
      child.hiddenStart = s.hiddenStart + Tn - 1;
    }
    return i;
  }

  length(slot: number): number {
    this.slot(slot);
    return this.cache.lengths[slot]!;
  }

  truncate(slot: number, length: number): void {
    const s = this.slot(slot);
    this.cache.truncate(slot, length);
    // MTP entry p used token p+1, so entries from length - 1 on are stale.
    if (s.mtpCache) s.mtpCache.truncate(0, Math.min(s.mtpCache.lengths[0]!, Math.max(length - 1, 0)));
  }

  forward(rows: readonly ForwardRow[]): Float32Array[][] {
    const e = this.model.engine,
      V = this.vocabSize;
    rows.forEach((r) => {
      const want = r.logits ?? 1;
      this.slot(r.slot);
      if (r.tokens.length === 0 || !(want >= 0 && want <= r.tokens.length))
        throw new Error(`DeepseekV3LM.forward: a row of ${r.tokens.length} tokens asks for ${want} logits`);
    });
    const starts = rows.map((r) => this.cache.lengths[r.slot]!);
    return e.noGrad(() =>
      e.scope(() => {
        const out = this.model.stepRows(this.cache, rows);
        const N = out.batch.total;
        const logits = reshape(out.logits, [N, V]),
          hidden = reshape(out.hidden, [1, N, -1]); // (N, V), (1, N, D)
        const picks: number[] = [];
        out.batch.rows.forEach((b, i) => {
          for (let j = b.count - (rows[i]!.logits ?? 1); j < b.count; j++) picks.push(b.offset + j);
        });
        const flat =
          picks.length > 0
            ? (e.read(indexSelect(logits, 0, e.tensor(picks, [picks.length], 'i32'))) as Float32Array)
            : new Float32Array(0); // (picks * V)
        let k = 0;
        return out.batch.rows.map((b, i) => {
          const s = this.slots[b.slot]!,
            h = slice(hidden, 1, b.offset, b.offset + b.count); // (1, Tn, D)
          if (s.mtpCache) this.catchUp(s, starts[i]!, h, rows[i]!.tokens);
          s.hidden?.dispose();
          s.hidden = e.keep(h);
          s.hiddenStart = starts[i]!;
          return Array.from({ length: rows[i]!.logits ?? 1 }, () => flat.slice(k * V, ++k * V));
        });
      }),
    );
  }

  /** Fills MTP entries up to the second-to-last cached position (their next tokens are known now). */
  private catchUp(s: Slot, start: number, hidden: Tensor, tokens: readonly number[]): void {
    const m = s.mtpCache!,
      e = this.model.engine,
      Tn = tokens.length,
      have = m.lengths[0]!;
    if (have === start - 1) {
      // Entry start-1 pairs the previous forward's last hidden state with this row's first token.
      const prev = this.hiddenAt(s, start - 1);
      const h = Tn > 1 ? concat([prev, slice(hidden, 1, 0, Tn - 1)], 1) : prev; // (1, Tn, D)
      mtpDraft(this.model, 1, m, h, e.tensor(tokens, [1, Tn], 'i32'));
    } else if (have === start && Tn > 1) {
      mtpDraft(this.model, 1, m, slice(hidden, 1, 0, Tn - 1), e.tensor(tokens.slice(1), [1, Tn - 1], 'i32'));
    } else if (have !== start) {
      throw new Error(`DeepseekV3LM: MTP cache at ${have} cannot catch up to position ${start}`);
    }
  }

  /** h_p (1, 1, D) from the slot's last forward. */
  private hiddenAt(s: Slot, p: number): Tensor {
    const i = p - s.hiddenStart;
    if (!s.hidden || i < 0 || i >= s.hidden.shape[1]!)
      throw new Error(
        `DeepseekV3LM: hidden state of position ${p} is not held (last forward covered ${s.hiddenStart}..)`,
      );
    return slice(s.hidden, 1, i, i + 1);
  }

  private draftOne(slot: number, next: number): Float32Array {
    const s = this.slot(slot),
      e = this.model.engine,
      n = this.cache.lengths[slot]!,
      m = s.mtpCache!;
    if (m.lengths[0] !== n - 1)
      throw new Error(
        `DeepseekV3LM.draft: slot ${slot} has no fresh forward to draft from (MTP cache at ${m.lengths[0]}, main at ${n})`,
      );
    return e.noGrad(() =>
      e.scope(() => {
        const out = mtpDraft(this.model, 1, m, this.hiddenAt(s, n - 1), e.tensor([next], [1, 1], 'i32'));
        return e.read(out.logits) as Float32Array; // (1 * 1 * V)
      }),
    );
  }

  private slot(slot: number): Slot {
    const s = this.slots[slot];
    if (s === undefined) throw new Error(`DeepseekV3LM: slot ${slot} is not allocated`);
    return s;
  }

  /** Frees the cache and every slot (the model and its parameters belong to the caller). */
  dispose(): void {
    this.slots.forEach((s, i) => {
      if (s) this.freeSlot(i);
    });
    this.cache.dispose();
  }
}
