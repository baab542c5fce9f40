/**
 * The seam between the generation engine and a model: a batched causal language model with a
 * slot-based cache. Token ids in, logits out; the engine knows nothing about tokenization (the
 * nanochat split). A slot is one sequence's cache (for DeepSeek-V3 the absorbed MLA latent rows,
 * V3 paper 2.1.1); sequences of different lengths share one forward call, which is what continuous
 * batching needs. The optional `draft` is the MTP module used as a speculative drafter (V3 paper
 * 2.2 and 5.4.3: it proposes the token after next; the main model verifies it on the next step).
 */

/** One row of a batched forward call: `tokens` are appended to slot `slot`'s cache. */
export interface ForwardRow {
  slot: number;
  /** Tokens to append (a prompt chunk in prefill, one or two tokens in decode). Never empty. */
  tokens: readonly number[];
  /** Logits wanted for the last `logits` positions of `tokens` (0..tokens.length; default 1). */
  logits?: number;
}

/** A batched causal LM with a slot-based cache. */
export interface CausalLM {
  /** Logit vector length. */
  readonly vocabSize: number;
  /** Most tokens one slot may hold. */
  readonly maxContext: number;
  /** Most slots allocated at once. */
  readonly maxSlots: number;
  /** Takes a free, empty slot; throws when all `maxSlots` are taken. */
  allocSlot(): number;
  /** Returns a slot; its cache is forgotten. */
  freeSlot(slot: number): void;
  /** Tokens cached in `slot`. */
  length(slot: number): number;
  /** Keeps only the first `length` cached tokens of `slot` (rolls back a rejected draft). */
  truncate(slot: number, length: number): void;
  /**
   * Appends each row's tokens to its slot and returns, per row, the logits after each of its last
   * `row.logits` positions (in order). Rows name distinct slots.
   */
  forward(rows: readonly ForwardRow[]): Float32Array[][];
  /**
   * MTP drafting, when the model has an MTP module: for each slot, the logits of the token after
   * `next[i]`, where `next[i]` is the (not yet cached) token that follows the slot's last cached
   * position. Valid right after a forward (and possibly a truncate) that covered that position.
   */
  draft?(slots: readonly number[], next: readonly number[]): Float32Array[];
  /**
   * Takes a free slot holding a copy of `slot`'s cache (and drafting state), so n sequences that
   * share a prompt prefill it once (the Scheduler's `submitGroup`); throws when no slot is free.
   */
  fork?(slot: number): number;
}

/**
 * The context length and slot count of an adapter, from its options and defaults, checked against
 * the model's RoPE table (`ropeLen` positions); errors name the adapter (`who`).
 */
export function slotLimits(
  who: string,
  ropeLen: number,
  options: { maxContext?: number; maxSlots?: number },
  defaultSlots: number,
): { maxContext: number; maxSlots: number } {
  const maxContext = options.maxContext ?? ropeLen,
    maxSlots = options.maxSlots ?? defaultSlots;
  if (!(Number.isInteger(maxContext) && maxContext >= 2 && maxContext <= ropeLen)) {
    throw new Error(
      `${who}: maxContext must be an integer in [2, ${ropeLen}] (the model's RoPE table), got ${options.maxContext}`,
    );
  }
  if (!(Number.isInteger(maxSlots) && maxSlots >= 1))
    throw new Error(`${who}: maxSlots must be an integer >= 1, got ${options.maxSlots}`);
  return { maxContext, maxSlots };
}
