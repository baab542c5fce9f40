/**
 * Log-probabilities of every completion token under a policy, computed once without gradient and
 * kept: pi_old before the first of `num_iterations` updates, pi_ref for the KL term.
 */
import { tokenLogProbs } from './logprobs.js';
import { completionValues, packBatch, type Sample } from './batch.js';
import type { Policy } from './policy.js';

/** Per-sample completion log-probs under `policy`, in micro-batches of `batchSize`. */
export function storedLogProbs(
  policy: Policy,
  samples: readonly Sample[],
  batchSize: number,
  temperature: number,
  pad = 0,
): Float32Array[] {
  const e = policy.engine,
    out: Float32Array[] = [];
  for (let i = 0; i < samples.length; i += batchSize) {
    const chunk = samples.slice(i, i + batchSize);
    const packed = packBatch(
      chunk.map((s) => ({ prompt: s.prompt, completion: s.completion, advantage: 0, inLoss: true })),
      pad,
    );
    const values = e.noGrad(() =>
      e.scope(() => {
        const logits = policy.logits(e.tensor(packed.inputs, [packed.B, packed.T], 'i32')); // (B, T, V)
        return e.read(tokenLogProbs(logits, e.tensor(packed.targets, [packed.B, packed.T], 'i32'), temperature)); // (B, T)
      }),
    );
    for (const item of completionValues(values, chunk, packed.T)) out.push(item);
  }
  return out;
}
