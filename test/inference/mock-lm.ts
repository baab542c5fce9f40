/**
 * A mock CausalLM with known logits (the nanochat pattern): each slot keeps its token history and
 * the logits are a pure function of that history, so the scheduler's cache bookkeeping (which row
 * goes to which slot, prefill chunks, rollbacks) is what decides whether outputs come out right.
 * It records every forward call so tests can see batching happen.
 */
import type { CausalLM, ForwardRow } from '../../src/inference/causal-lm.js';

/** Logits of the token after `history`. */
export type LogitsFn = (history: readonly number[]) => Float32Array;

/** Options of MockLM. */
export interface MockOptions {
  vocabSize: number;
  maxContext: number;
  maxSlots: number;
  next: LogitsFn;
  /** MTP-like drafter: logits of the token after `next`, given the cached history. */
  draft?: (history: readonly number[], next: number) => Float32Array;
  /** Busy-waits this long in every forward, to make streaming visible (browser tests). */
  stepDelayMs?: number;
}

export class MockLM implements CausalLM {
  readonly vocabSize: number;
  readonly maxContext: number;
  readonly maxSlots: number;
  readonly draft?: (slots: readonly number[], next: readonly number[]) => Float32Array[];
  /** Per forward call: the rows' token counts. */
  readonly calls: number[][] = [];
  /** Set to make the next forward throw. */
  failNext: Error | undefined;
  private readonly slots: Array<number[] | undefined>;

  constructor(private readonly opts: MockOptions) {
    this.vocabSize = opts.vocabSize;
    this.maxContext = opts.maxContext;
    this.maxSlots = opts.maxSlots;
    this.slots = new Array(opts.maxSlots).fill(undefined);
    const draftFn = opts.draft;
    if (draftFn) this.draft = (slots, next) => slots.map((s, i) => draftFn(this.history(s), next[i]!));
  }

  get liveSlots(): number {
    return this.slots.filter((s) => s !== undefined).length;
  }

  allocSlot(): number {
    const i = this.slots.indexOf(undefined);
    if (i < 0) throw new Error(`MockLM: all ${this.maxSlots} slots are taken`);
    this.slots[i] = [];
    return i;
  }

  freeSlot(slot: number): void {
    this.history(slot);
    this.slots[slot] = undefined;
  }

  length(slot: number): number {
    return this.history(slot).length;
  }

  truncate(slot: number, length: number): void {
    const h = this.history(slot);
    if (length < 0 || length > h.length) throw new Error(`MockLM.truncate: length ${length} outside [0, ${h.length}]`);
    h.length = length;
  }

  forward(rows: readonly ForwardRow[]): Float32Array[][] {
    if (this.failNext) {
      const e = this.failNext;
      this.failNext = undefined;
      throw e;
    }
    const until = Date.now() + (this.opts.stepDelayMs ?? 0);
    while (Date.now() < until) {
      /* a slow model */
    }
    const seen = new Set<number>();
    this.calls.push(rows.map((r) => r.tokens.length));
    return rows.map((r) => {
      if (seen.has(r.slot)) throw new Error(`MockLM.forward: slot ${r.slot} appears twice`);
      seen.add(r.slot);
      const h = this.history(r.slot);
      if (r.tokens.length === 0) throw new Error('MockLM.forward: empty row');
      if (h.length + r.tokens.length > this.maxContext)
        throw new Error(
          `MockLM.forward: slot ${r.slot} would hold ${h.length + r.tokens.length} > ${this.maxContext} tokens`,
        );
      const want = r.logits ?? 1;
      const out: Float32Array[] = [];
      r.tokens.forEach((t, j) => {
        h.push(t);
        if (j >= r.tokens.length - want) out.push(this.opts.next(h));
      });
      return out;
    });
  }

  private history(slot: number): number[] {
    const h = this.slots[slot];
    if (h === undefined) throw new Error(`MockLM: slot ${slot} is not allocated`);
    return h;
  }
}

/** FNV-1a over token ids. */
export function hashTokens(tokens: readonly number[]): number {
  let h = 0x811c9dc5;
  for (const t of tokens) h = Math.imul(h ^ t, 0x01000193) >>> 0;
  return h;
}

/** Logits peaked at a hash-chosen token (+6), with a runner-up (+4), so sampling has spread. */
export function hashLogits(vocabSize: number): LogitsFn {
  return (history) => {
    const l = new Float32Array(vocabSize);
    const t = hashTokens(history) % vocabSize;
    l[t] = 6;
    l[(t + 1) % vocabSize] = 4;
    return l;
  };
}

/** Greedy continuation of `prompt` under `next`, computed directly (the reference). */
export function greedyReference(
  next: LogitsFn,
  prompt: readonly number[],
  n: number,
  stop: readonly number[] = [],
): number[] {
  const h = [...prompt],
    out: number[] = [];
  for (let i = 0; i < n; i++) {
    const l = next(h);
    let best = 0;
    for (let j = 1; j < l.length; j++) if (l[j]! > l[best]!) best = j;
    if (stop.includes(best)) break;
    out.push(best);
    h.push(best);
  }
  return out;
}
