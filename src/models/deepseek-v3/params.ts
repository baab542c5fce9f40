/**
 * The single source of truth for DeepSeek-V3 parameter names and shapes, and the accounting built
 * on it: total, activated and MTP parameters, and KV-cache bytes per token.
 *
 * Names are the Hugging Face safetensors keys (README_WEIGHTS.md of DeepSeek-V3; checked against
 * shared/reference/deepseek-v3/tiny-v3/model.safetensors); shapes are PyTorch Linear [out, in].
 * MTP module k (0-based) is stored as `model.layers.{num_hidden_layers + k}` with `enorm`, `hnorm`,
 * `eh_proj`, `shared_head.norm` and a full block; the HF checkpoint also stores copies of the
 * shared embedding (`embed_tokens`) and output head (`shared_head.head`) there, listed here with
 * `sharedWith` so a loader can accept them and a counter can skip them. With
 * tie_word_embeddings, `lm_head.weight` is likewise a copy of `model.embed_tokens.weight`.
 *
 * Counting follows DeepSeek's README_WEIGHTS.md: main model 671B total, 36.6B activated
 * "(including 0.9B for the output Head)", i.e. activated = every main-model weight except the
 * embedding table and the routed experts a token does not use (num_experts_per_tok of
 * n_routed_experts). MTP parameters are reported separately, without the shared embedding and head.
 */
import { type DeepseekV3Config, isMoeLayer, qkHeadDim } from './config.js';

/** What a tensor is, for accounting. */
export type TensorRole =
  | 'embedding'
  | 'head'
  | 'norm'
  | 'attention'
  | 'dense_mlp'
  | 'gate'
  | 'routed_expert'
  | 'shared_expert'
  | 'mtp_proj';

/** One checkpoint tensor: HF key, shape, role, block index and MTP membership. */
export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly role: TensorRole;
  /** Block index (MTP module k: num_hidden_layers + k); absent for embedding, final norm, head. */
  readonly layer?: number;
  /** True for tensors of an MTP module. */
  readonly mtp?: boolean;
  /** Routed expert index, for role routed_expert. */
  readonly expert?: number;
  /** Set on stored copies of a shared tensor: the key of the tensor this one duplicates. */
  readonly sharedWith?: string;
}

type Ctx = { readonly layer: number; readonly mtp: boolean };

function spec(name: string, shape: number[], role: TensorRole, ctx: Ctx, extra: Partial<TensorSpec> = {}): TensorSpec {
  return { name, shape, role, layer: ctx.layer, ...(ctx.mtp ? { mtp: true } : {}), ...extra };
}

/** MLA tensors of one block: q (LoRA or plain), the compressed KV path, the output projection. */
function attentionTensors(c: DeepseekV3Config, p: string, ctx: Ctx): TensorSpec[] {
  const h = c.num_attention_heads;
  const out: TensorSpec[] = [];
  const bias = (name: string, n: number): void => {
    if (c.attention_bias) out.push(spec(`${p}.${name}.bias`, [n], 'attention', ctx));
  };
  if (c.q_lora_rank === null) {
    out.push(spec(`${p}.q_proj.weight`, [h * qkHeadDim(c), c.hidden_size], 'attention', ctx));
  } else {
    out.push(spec(`${p}.q_a_proj.weight`, [c.q_lora_rank, c.hidden_size], 'attention', ctx));
    bias('q_a_proj', c.q_lora_rank);
    out.push(spec(`${p}.q_a_layernorm.weight`, [c.q_lora_rank], 'norm', ctx));
    out.push(spec(`${p}.q_b_proj.weight`, [h * qkHeadDim(c), c.q_lora_rank], 'attention', ctx));
  }
  out.push(
    spec(`${p}.kv_a_proj_with_mqa.weight`, [c.kv_lora_rank + c.qk_rope_head_dim, c.hidden_size], 'attention', ctx),
  );
  bias('kv_a_proj_with_mqa', c.kv_lora_rank + c.qk_rope_head_dim);
  out.push(spec(`${p}.kv_a_layernorm.weight`, [c.kv_lora_rank], 'norm', ctx));
  out.push(spec(`${p}.kv_b_proj.weight`, [h * (c.qk_nope_head_dim + c.v_head_dim), c.kv_lora_rank], 'attention', ctx));
  out.push(spec(`${p}.o_proj.weight`, [c.hidden_size, h * c.v_head_dim], 'attention', ctx));
  bias('o_proj', c.hidden_size);
  return out;
}

function swiglu(
  p: string,
  hidden: number,
  inner: number,
  role: TensorRole,
  ctx: Ctx,
  extra: Partial<TensorSpec> = {},
): TensorSpec[] {
  return [
    spec(`${p}.gate_proj.weight`, [inner, hidden], role, ctx, extra),
    spec(`${p}.up_proj.weight`, [inner, hidden], role, ctx, extra),
    spec(`${p}.down_proj.weight`, [hidden, inner], role, ctx, extra),
  ];
}

/** The MLP of a block: dense SwiGLU, or gate + routed experts + shared experts. */
function mlpTensors(c: DeepseekV3Config, p: string, ctx: Ctx): TensorSpec[] {
  if (!isMoeLayer(c, ctx.layer)) return swiglu(p, c.hidden_size, c.intermediate_size, 'dense_mlp', ctx);
  const out = [spec(`${p}.gate.weight`, [c.n_routed_experts, c.hidden_size], 'gate', ctx)];
  if (c.topk_method === 'noaux_tc')
    out.push(spec(`${p}.gate.e_score_correction_bias`, [c.n_routed_experts], 'gate', ctx));
  for (let e = 0; e < c.n_routed_experts; e++) {
    for (const s of swiglu(`${p}.experts.${e}`, c.hidden_size, c.moe_intermediate_size, 'routed_expert', ctx, {
      expert: e,
    }))
      out.push(s);
  }
  if (c.n_shared_experts > 0) {
    const d = c.n_shared_experts * c.moe_intermediate_size;
    for (const s of swiglu(`${p}.shared_experts`, c.hidden_size, d, 'shared_expert', ctx)) out.push(s);
  }
  return out;
}

/** The tensors of transformer block `layer` (main model or MTP), under `model.layers.{layer}`. */
export function blockTensors(c: DeepseekV3Config, layer: number): TensorSpec[] {
  const ctx: Ctx = { layer, mtp: layer >= c.num_hidden_layers };
  const p = `model.layers.${layer}`;
  return [
    spec(`${p}.input_layernorm.weight`, [c.hidden_size], 'norm', ctx),
    ...attentionTensors(c, `${p}.self_attn`, ctx),
    spec(`${p}.post_attention_layernorm.weight`, [c.hidden_size], 'norm', ctx),
    ...mlpTensors(c, `${p}.mlp`, ctx),
  ];
}

/** The tensors of MTP module k (0-based), stored as `model.layers.{num_hidden_layers + k}`. */
export function mtpTensors(c: DeepseekV3Config, k: number): TensorSpec[] {
  const layer = c.num_hidden_layers + k;
  const ctx: Ctx = { layer, mtp: true };
  const p = `model.layers.${layer}`;
  const d = c.hidden_size;
  const head = c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
  return [
    spec(`${p}.embed_tokens.weight`, [c.vocab_size, d], 'embedding', ctx, { sharedWith: 'model.embed_tokens.weight' }),
    spec(`${p}.enorm.weight`, [d], 'norm', ctx),
    spec(`${p}.hnorm.weight`, [d], 'norm', ctx),
    spec(`${p}.eh_proj.weight`, [d, 2 * d], 'mtp_proj', ctx),
    ...blockTensors(c, layer),
    spec(`${p}.shared_head.norm.weight`, [d], 'norm', ctx),
    spec(`${p}.shared_head.head.weight`, [c.vocab_size, d], 'head', ctx, { sharedWith: head }),
  ];
}

/**
 * Every tensor of a full HF checkpoint in model order: embedding, blocks, final norm, head, then
 * the MTP modules. Entries with `sharedWith` are stored copies, not separate parameters.
 */
export function checkpointTensors(c: DeepseekV3Config): TensorSpec[] {
  const d = c.hidden_size;
  const out: TensorSpec[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocab_size, d], role: 'embedding' }];
  for (let l = 0; l < c.num_hidden_layers; l++) for (const s of blockTensors(c, l)) out.push(s);
  out.push({ name: 'model.norm.weight', shape: [d], role: 'norm' });
  out.push({
    name: 'lm_head.weight',
    shape: [c.vocab_size, d],
    role: 'head',
    ...(c.tie_word_embeddings ? { sharedWith: 'model.embed_tokens.weight' } : {}),
  });
  for (let k = 0; k < c.num_nextn_predict_layers; k++) for (const s of mtpTensors(c, k)) out.push(s);
  return out;
}

/** Parameter and cache figures of a config (integers; caches in bf16, 2 bytes per value). */
export interface ModelFigures {
  /** Unique parameters of the main model (embedding, blocks, final norm, head). */
  readonly total_params: number;
  /** Parameters a token activates in the main model: all but the embedding and unused routed experts. */
  readonly active_params: number;
  /** Unique MTP parameters (without the shared embedding and head). */
  readonly mtp_params: number;
  /** MTP parameters a drafted token activates, including the shared head (as DeepSeek counts). */
  readonly mtp_active_params: number;
  /** Every value a full HF checkpoint stores, shared copies included. */
  readonly checkpoint_params: number;
  readonly embedding_params: number;
  readonly head_params: number;
  /** Absorbed MLA cache: (kv_lora_rank + qk_rope_head_dim) values per layer per token. */
  readonly kv_cache_bytes_per_token: number;
  /** Per-head K (qk_nope + qk_rope) and V (v_head_dim) for every head, as a non-absorbed cache holds. */
  readonly mha_kv_cache_bytes_per_token: number;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Counts parameters and cache sizes exactly from the tensor list. */
export function modelFigures(c: DeepseekV3Config, bytesPerValue = 2): ModelFigures {
  let total = 0,
    active = 0,
    mtp = 0,
    mtpActive = 0,
    stored = 0,
    embedding = 0,
    head = 0;
  for (const t of checkpointTensors(c)) {
    const n = numel(t.shape);
    stored += n;
    const usedRoute = t.role !== 'routed_expert' || t.expert! < c.num_experts_per_tok; // k of n experts, all the same size
    if (t.mtp) {
      if (!t.sharedWith) mtp += n;
      if (t.role !== 'embedding' && usedRoute) mtpActive += n;
      continue;
    }
    if (t.sharedWith) continue;
    total += n;
    if (t.role === 'embedding') embedding += n;
    if (t.role === 'head') head += n;
    if (t.role !== 'embedding' && usedRoute) active += n;
  }
  const L = c.num_hidden_layers;
  return {
    total_params: total,
    active_params: active,
    mtp_params: mtp,
    mtp_active_params: mtpActive,
    checkpoint_params: stored,
    embedding_params: embedding,
    head_params: head,
    kv_cache_bytes_per_token: L * (c.kv_lora_rank + c.qk_rope_head_dim) * bytesPerValue,
    mha_kv_cache_bytes_per_token: L * c.num_attention_heads * (qkHeadDim(c) + c.v_head_dim) * bytesPerValue,
  };
}

/** Shape of one tensor found in a checkpoint (dtype optional; only shapes are checked here). */
export interface FoundTensor {
  readonly shape: readonly number[];
}

const listSome = (xs: string[], n = 8): string =>
  xs.length <= n ? xs.join(', ') : `${xs.slice(0, n).join(', ')} and ${xs.length - n} more`;
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

/**
 * Matches a checkpoint's tensors against the config's list. Throws one Error naming every missing
 * tensor and every shape mismatch (key, expected shape, actual shape); returns warnings for tensors
 * the config does not use. Stored copies (`sharedWith`) may be absent; FP8 `weight_scale_inv`
 * tensors are accepted next to 2-D weights when the config has a quantization_config, and their
 * block-grid shape is checked.
 */
export function checkCheckpointTensors(
  c: DeepseekV3Config,
  found: ReadonlyMap<string, FoundTensor>,
  source = 'checkpoint',
): string[] {
  const problems: string[] = [];
  const expected = new Map(checkpointTensors(c).map((t) => [t.name, t]));
  for (const t of expected.values()) {
    const f = found.get(t.name);
    if (!f) {
      if (!t.sharedWith) problems.push(`"${t.name}" is missing (expected shape ${fmt(t.shape)})`);
    } else if (fmt(f.shape) !== fmt(t.shape)) {
      problems.push(`"${t.name}" has shape ${fmt(f.shape)}; expected ${fmt(t.shape)}`);
    }
  }
  const unexpected: string[] = [];
  const block = c.quantization_config?.weight_block_size;
  for (const [name, f] of found) {
    if (expected.has(name)) continue;
    const base = name.endsWith('.weight_scale_inv')
      ? expected.get(`${name.slice(0, -'_scale_inv'.length)}`)
      : undefined;
    if (!base || !block || base.shape.length !== 2) {
      unexpected.push(name);
      continue;
    }
    const want = [Math.ceil(base.shape[0]! / block[0]), Math.ceil(base.shape[1]! / block[1])];
    if (fmt(f.shape) !== fmt(want))
      problems.push(
        `"${name}" has shape ${fmt(f.shape)}; expected ${fmt(want)} (one scale per ${block[0]}x${block[1]} block of ${fmt(base.shape)})`,
      );
  }
  if (problems.length > 0) {
    throw new Error(
      `${source}: ${problems.length} tensor${problems.length > 1 ? 's do' : ' does'} not match the config: ${listSome(problems)}`,
    );
  }
  return unexpected.length > 0
    ? [
        `${source}: ignoring ${unexpected.length} tensor${unexpected.length > 1 ? 's' : ''} the config does not use: ${listSome(unexpected)}`,
      ]
    : [];
}
