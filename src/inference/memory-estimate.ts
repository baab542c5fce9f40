/**
 * THE SHARED MEMORY ESTIMATOR (issue 17, defect 4; shared with the real-model loaders: DeepSeek-V3
 * here, Qwen2 / Llama / GGUF models through `checkMemory` with their own tensor list). It adds up
 * what a served model will hold before anything is allocated, so an absurd config fails fast with
 * the numbers and the field to change instead of taking the machine down:
 * - weight tensors: elements x bytes per element (4 for f32; for a quantized block format the
 *   caller supplies its bytes per element, e.g. Q4_K: 144 bytes per 256 values = 0.5625);
 * - RoPE tables sized to the context actually served (not max_position_embeddings);
 * - the KV cache for the slots and context asked for.
 * The bound is the 4 GiB a wasm32 memory can address (every tensor lives on that heap).
 * Two entry points over the same bound and error: `checkMemory` (a list of parts, each naming the field
 * that scales it) and `assertModelFits` (weight + runtime bytes, re-planned per load-time quantization).
 */
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { isMoeLayer } from '../models/deepseek-v3/config.js';
import { blockTensors, mtpTensors } from '../models/deepseek-v3/params.js';

/** The 4 GiB a wasm32 memory addresses. */
export const WASM32_BYTES = 4 * 1024 ** 3;

/** One part of the estimate, with the setting that scales it. */
export interface MemoryPart {
  what: 'weights' | 'rope' | 'kv_cache';
  bytes: number;
  /** How it was counted, e.g. "1.2e9 parameters x 4 bytes". */
  detail: string;
  /** The config field or flag to change to shrink it. */
  field: string;
}

/** What a caller asks for. */
export interface MemoryAsk {
  /** Who asks (named in the error), e.g. the model folder. */
  source: string;
  parts: MemoryPart[];
  /** Weight elements and the bytes per element each quantization option would take (to say which fits). */
  quantizations?: { weightElements: number; options: ReadonlyArray<{ name: string; bytesPerElement: number }> };
  /** Bound in bytes (default WASM32_BYTES). */
  limitBytes?: number;
}

/** A config whose model would not fit. */
export class MemoryLimitError extends Error {}

const gib = (b: number): string => `${(b / 1024 ** 3).toFixed(b < 1024 ** 3 ? 3 : 1)} GiB`;

/** Total bytes of the parts. */
export function totalBytes(parts: readonly MemoryPart[]): number {
  return parts.reduce((a, p) => a + p.bytes, 0);
}

/** Throws MemoryLimitError with every part, the largest part's field and (when given) a quantization that fits. */
export function checkMemory(ask: MemoryAsk): number {
  const limit = ask.limitBytes ?? WASM32_BYTES;
  const total = totalBytes(ask.parts);
  if (total <= limit && Number.isFinite(total)) return total;
  const largest = ask.parts.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  let fits = '';
  const q = ask.quantizations;
  if (q && largest.what === 'weights') {
    const other = total - largest.bytes;
    const ok = q.options.find((o) => other + q.weightElements * o.bytesPerElement <= limit);
    fits = ok ? ` Quantized as ${ok.name} the weights would fit.` : ' No quantization offered would make it fit.';
  }
  throw new MemoryLimitError(
    `${ask.source}: serving this needs ${gib(total)}, over the ${gib(limit)} a wasm32 memory holds: ${ask.parts
      .map((p) => `${p.what} ${gib(p.bytes)} (${p.detail})`)
      .join(', ')}. The largest part is the ${largest.what}; reduce ${largest.field}.${fits}`,
  );
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Parameters of a DeepSeek-V3 config, counted per layer kind (no per-expert tensor list is built). */
export function deepseekWeightElements(c: DeepseekV3Config): number {
  const one = { ...c, n_routed_experts: Math.min(c.n_routed_experts, 1) };
  const D = c.hidden_size;
  // Each routed expert past the first: three matrices, a gate row, and a correction bias.
  const perExtraExpert = 3 * D * c.moe_intermediate_size + D + (c.topk_method === 'noaux_tc' ? 1 : 0);
  const extra = Math.max(0, c.n_routed_experts - 1) * perExtraExpert;
  const sizes = new Map<boolean, number>();
  const layer = (l: number): number => {
    const moe = isMoeLayer(c, l);
    if (!sizes.has(moe))
      sizes.set(moe, blockTensors(one, l).reduce((a, t) => a + numel(t.shape), 0) + (moe ? extra : 0));
    return sizes.get(moe)!;
  };
  let n = c.vocab_size * D * (c.tie_word_embeddings ? 1 : 2) + D;
  for (let l = 0; l < c.num_hidden_layers; l++) n += layer(l);
  for (let k = 0; k < c.num_nextn_predict_layers; k++) {
    const moe = isMoeLayer(c, c.num_hidden_layers + k);
    n += mtpTensors(one, k).reduce((a, t) => a + (t.sharedWith ? 0 : numel(t.shape)), 0) + (moe ? extra : 0);
  }
  return n;
}

/** The memory a DeepSeek-V3 model served with `slots` slots of `context` tokens holds (f32 on the heap). */
export function deepseekMemoryParts(
  c: DeepseekV3Config,
  serve: { slots: number; context: number; contextField: string; bytesPerElement?: number },
): MemoryPart[] {
  const bpe = serve.bytesPerElement ?? 4;
  const weights = deepseekWeightElements(c);
  const R = c.qk_rope_head_dim,
    width = c.kv_lora_rank + R;
  const cachedLayers = c.num_hidden_layers + Math.min(c.num_nextn_predict_layers, 1);
  const layersField = c.num_hidden_layers > 1000 ? 'num_hidden_layers' : undefined;
  const expertsField = c.n_routed_experts > 10_000 ? 'n_routed_experts' : undefined;
  return [
    {
      what: 'weights',
      bytes: weights * bpe,
      detail: `${weights.toExponential(2)} parameters x ${bpe} bytes`,
      field: layersField ?? expertsField ?? 'the model size (num_hidden_layers, hidden_size, n_routed_experts)',
    },
    {
      what: 'rope',
      bytes: (2 * serve.context * R + R * R) * 4,
      detail: `cos/sin tables for ${serve.context} positions`,
      field: serve.contextField,
    },
    {
      what: 'kv_cache',
      bytes: cachedLayers * serve.slots * serve.context * width * 4,
      detail: `${cachedLayers} layers x ${serve.slots} slots x ${serve.context} tokens x ${width} values`,
      field: `${layersField ? 'num_hidden_layers, ' : ''}${serve.contextField} or --max-slots`,
    },
  ];
}

// Loaders that re-plan per load-time quantization (Qwen2 / Llama / GGUF, src/models/qwen2/compact-load.ts)
// ask with a plan of weight and runtime bytes; the refusal is a MemoryLimitError like checkMemory's.

/** What a model needs in WASM memory. */
export interface MemoryPlan {
  weightBytes: number;
  /** KV cache, RoPE tables, activation working set. */
  runtimeBytes: number;
}

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
  throw new MemoryLimitError(
    `${what}: needs ${gb(need)} of WASM memory (weights ${gb(plan.weightBytes)}, KV cache and runtime ` +
      `${gb(plan.runtimeBytes)}) but wasm32 memory holds ${gb(WASM32_BYTES)}.${advice} Or lower maxContext / slots to shrink the KV cache.`,
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
