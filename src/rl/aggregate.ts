/**
 * Loss aggregation over a batch of variable-length responses, one function per variant (TRL's
 * `loss_type`), each chosen once at setup:
 *   grpo:    mean over sequences of (mean over the sequence's tokens)        (DeepSeekMath, R1)
 *   dapo:    sum over all tokens / number of tokens in the whole batch        (DAPO, token-level)
 *   dr_grpo: sum over all tokens / (sequences * max_completion_length)        (Dr. GRPO, no length bias)
 * A batch may be processed in micro-batches: every aggregator divides by totals of the WHOLE batch
 * (`BatchTotals`), so the micro-batch losses add up to exactly the full-batch loss and their
 * gradients accumulate to the full-batch gradient. Masked positions (prompt, padding, truncated
 * responses) contribute nothing. Shapes: perToken and mask (B, T).
 */
import { div, mul, sum, type Tensor } from '../tensor/index.js';

/** Totals of the whole batch that the aggregations divide by. */
export interface BatchTotals {
  /** Sequences in the batch (masked-out ones included, as TRL counts them). */
  sequences: number;
  /** Unmasked tokens in the batch. */
  tokens: number;
  maxCompletionLength: number;
}

export type LossType = 'grpo' | 'dapo' | 'dr_grpo';
export const LOSS_TYPES: readonly LossType[] = ['grpo', 'dapo', 'dr_grpo'];

/** Reduces per-token losses (B, T) under a 0/1 mask (B, T) to this micro-batch's share of the batch loss. */
export type Aggregator = (perToken: Tensor, mask: Tensor, totals: BatchTotals) => Tensor;

/** sum_i (sum_t l_it m_it / max(1, sum_t m_it)) / sequences. */
export const grpoAggregate: Aggregator = (perToken, mask, totals) => {
  const counts = (mask.engine.read(sum(mask, 1)) as Float32Array).map((c) => Math.max(1, c)); // (B)
  const perSeq = div(sum(mul(perToken, mask), 1), mask.engine.tensor(counts, [counts.length])); // (B)
  return div(sum(perSeq), totals.sequences);
};

/** sum l m / tokens. */
export const dapoAggregate: Aggregator = (perToken, mask, totals) =>
  div(sum(mul(perToken, mask)), Math.max(1, totals.tokens));

/** sum l m / (sequences * max_completion_length). */
export const drGrpoAggregate: Aggregator = (perToken, mask, totals) =>
  div(sum(mul(perToken, mask)), totals.sequences * totals.maxCompletionLength);

/** The aggregator for TRL's `loss_type`. */
export function aggregator(lossType: LossType): Aggregator {
  switch (lossType) {
    case 'grpo':
      return grpoAggregate;
    case 'dapo':
      return dapoAggregate;
    case 'dr_grpo':
      return drGrpoAggregate;
    default:
      throw new Error(`loss_type must be one of ${LOSS_TYPES.join(', ')}, got ${JSON.stringify(lossType)}`);
  }
}
