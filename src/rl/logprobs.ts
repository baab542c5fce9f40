/**
 * Per-token log-probabilities and entropies of sampled tokens under a policy's logits. As TRL does,
 * the logits are divided by the sampling temperature first, so the probabilities are those of the
 * distribution the tokens were actually drawn from.
 * Shapes: logits (B, T, V), targets (B, T) int32 -> (B, T).
 */
import { div, gather, logSoftmax, reshape, type Tensor } from '../tensor/index.js';

/** log pi(targets[b, t]) under softmax(logits[b, t] / temperature), with gradient. */
export function tokenLogProbs(logits: Tensor, targets: Tensor, temperature = 1): Tensor {
  if (
    logits.rank !== 3 ||
    targets.rank !== 2 ||
    logits.shape[0] !== targets.shape[0] ||
    logits.shape[1] !== targets.shape[1]
  ) {
    throw new Error(
      `tokenLogProbs: logits [${logits.shape.join(', ')}] and targets [${targets.shape.join(', ')}] must be (B, T, V) and (B, T)`,
    );
  }
  if (!(temperature > 0)) throw new Error(`tokenLogProbs: temperature must be > 0, got ${temperature}`);
  const [B, T] = targets.shape as [number, number];
  const scaled = temperature === 1 ? logits : div(logits, temperature);
  const logp = logSoftmax(scaled); // (B, T, V)
  return reshape(gather(logp, 2, reshape(targets, [B, T, 1])), [B, T]); // (B, T, 1) -> (B, T)
}

/** Entropy -sum p log p of softmax(logits / temperature) per position, (B, T, V) -> B*T values (no gradient). */
export function tokenEntropies(logits: Tensor, temperature = 1): Float32Array {
  const e = logits.engine;
  return e.noGrad(() =>
    e.scope(() => {
      const V = logits.shape[logits.rank - 1]!;
      const logp = e.read(logSoftmax(temperature === 1 ? logits : div(logits, temperature))) as Float32Array;
      const out = new Float32Array(logp.length / V);
      for (let r = 0; r < out.length; r++) {
        let h = 0;
        for (let v = r * V; v < (r + 1) * V; v++) {
          const lp = logp[v]!;
          if (lp > -80) h -= Math.exp(lp) * lp;
        }
        out[r] = h;
      }
      return out;
    }),
  );
}
