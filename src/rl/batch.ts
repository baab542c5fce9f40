/**
 * Packing rollouts into update micro-batches. A sequence is prompt + completion; the model reads
 * inputs = seq[0 .. n-2] and predicts targets = seq[1 .. n-1], so completion token j sits at target
 * position promptLength - 1 + j. A micro-batch is [rows, T] with T + 1 its longest sequence: rows
 * are right-padded to it (causal
 * attention: padding after a row's end never changes its earlier logits) and the loss mask is 1
 * exactly on completion targets (0 on prompt, padding, and masked truncated completions).
 * Stored per-token values (old and reference log-probs) are laid out the same way.
 */

/** One rollout as the update sees it. */
export interface Sample {
  prompt: readonly number[];
  /** Sampled ids, ending with the stop token when finished. */
  completion: readonly number[];
  advantage: number;
  /** False when the completion is left out of the loss (mask_truncated_completions). */
  inLoss: boolean;
  /** pi_old and pi_ref log-probs of each completion token, when stored. */
  oldLogp?: Float32Array;
  refLogp?: Float32Array;
}

/** A packed micro-batch: B rows of T target positions. */
export interface PackedBatch {
  B: number;
  T: number;
  inputs: Int32Array;
  targets: Int32Array;
  mask: Float32Array;
  advantages: Float32Array;
  /** Present when every sample has them. */
  oldLogp?: Float32Array;
  refLogp?: Float32Array;
}

/** Packs samples into [samples, longest sequence - 1]; `pad` fills positions past a row's end. */
export function packBatch(samples: readonly Sample[], pad = 0): PackedBatch {
  if (samples.length === 0) throw new Error('packBatch: no samples');
  const B = samples.length,
    T = samples.map((s) => s.prompt.length + s.completion.length).reduce((a, b) => Math.max(a, b), 0) - 1;
  for (const s of samples)
    if (s.prompt.length === 0 || s.completion.length === 0)
      throw new Error(`packBatch: a sample has an empty ${s.prompt.length === 0 ? 'prompt' : 'completion'}`);
  const inputs = new Int32Array(B * T).fill(pad),
    targets = new Int32Array(B * T).fill(pad),
    mask = new Float32Array(B * T);
  const withOld = samples.every((s) => s.oldLogp),
    withRef = samples.every((s) => s.refLogp);
  const oldLogp = withOld ? new Float32Array(B * T) : undefined,
    refLogp = withRef ? new Float32Array(B * T) : undefined;
  samples.forEach((s, b) => {
    const seq = [...s.prompt, ...s.completion],
      P = s.prompt.length;
    for (let t = 0; t < seq.length - 1; t++) {
      inputs[b * T + t] = seq[t]!;
      targets[b * T + t] = seq[t + 1]!;
    }
    for (let j = 0; j < s.completion.length; j++) {
      const at = b * T + P - 1 + j;
      if (s.inLoss) mask[at] = 1;
      if (oldLogp) oldLogp[at] = s.oldLogp![j]!;
      if (refLogp) refLogp[at] = s.refLogp![j]!;
    }
  });
  return {
    B,
    T,
    inputs,
    targets,
    mask,
    advantages: Float32Array.from(samples, (s) => s.advantage),
    ...(oldLogp ? { oldLogp } : {}),
    ...(refLogp ? { refLogp } : {}),
  };
}

/** Per-sample completion values out of a (B, T) array laid out as packBatch lays them. */
export function completionValues(values: ArrayLike<number>, samples: readonly Sample[], T: number): Float32Array[] {
  return samples.map((s, b) =>
    Float32Array.from({ length: s.completion.length }, (_, j) => values[b * T + s.prompt.length - 1 + j]!),
  );
}
