/**
 * The memory estimator: whether a model fits the 4 GiB wasm32 memory before anything is
 * allocated, and if not, a refusal with the numbers (what it needs, what fits) and which load-time
 * quantization would fit. Generic over bytes: weights (as stored or quantized), plus the runtime
 * (KV cache, RoPE tables, activations). The serving config checks share it.
 *
 * NOTE for the lead: this is the `real` branch's stand-in for the shared estimator the `serve`
 * branch writes; join them into one module (same MemoryPlan shape: weight bytes + runtime bytes).
 */

/** What a model needs in WASM memory. */
export interface MemoryPlan {
  weightBytes: number;
  /** KV cache, RoPE tables, activation working set. */
  runtimeBytes: number;
}

/** The wasm32 linear-memory limit (65536 pages of 64 KiB). */
export const WASM32_BYTES = 4 * 1024 ** 3;
/** Kept free for the backend's control block, scratch and heap fragmentation. */
export const RESERVE_BYTES = 64 * 1024 ** 2;

const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;

/** Bytes a plan needs in total. */
export function planBytes(p: MemoryPlan): number {
  return p.weightBytes + p.runtimeBytes + RESERVE_BYTES;
}

/**
 * Throws when `plan` does not fit the wasm32 memory: the message names `what`, the bytes of
 * weights and runtime, the limit, and the first of `alternatives` (quantizations, re-planned by
 * `replan`) that would fit, or says none does.
 */
export function assertModelFits(
  plan: MemoryPlan,
  what: string,
  alternatives: readonly string[] = [],
  replan?: (alternative: string) => MemoryPlan,
): void {
  const need = planBytes(plan);
  if (need <= WASM32_BYTES) return;
  let advice = ' No load-time quantization makes it fit: use a smaller model or a pre-quantized GGUF (Q4_K).';
  if (replan) {
    for (const a of alternatives) {
      const p = replan(a);
      if (planBytes(p) <= WASM32_BYTES) {
        advice = ` At ${a} it would need ${gb(planBytes(p))} (weights ${gb(p.weightBytes)}): pass --quantize ${a.toLowerCase()}.`;
        break;
      }
    }
  }
  throw new Error(
    `${what}: needs ${gb(need)} of WASM memory (weights ${gb(plan.weightBytes)}, KV cache and runtime ${gb(plan.runtimeBytes)}) but wasm32 memory holds ${gb(WASM32_BYTES)}.${advice} Or lower maxContext / slots to shrink the KV cache.`,
  );
}

/** KV cache plus RoPE tables of a grouped-query model: float32 K and V per layer, slot and position. */
export function kvRuntimeBytes(d: {
  layers: number;
  kvHeads: number;
  headDim: number;
  maxContext: number;
  slots: number;
  vocab: number;
}): number {
  const kv = 2 * d.layers * d.kvHeads * d.headDim * d.maxContext * d.slots * 4;
  const rope = d.maxContext * d.headDim * 4; // cos and sin, half a head each
  const logits = 4 * d.vocab * 8; // a few rows of logits and their copies
  return kv + rope + logits;
}
