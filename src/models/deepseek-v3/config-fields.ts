/**
 * The table of DeepSeek-V3 `config.json` keys: type, default and meaning of each, in Hugging Face
 * naming. Defaults are those of DeepSeek's own `configuration_deepseek.py` (shipped with the
 * DeepSeek-V3 checkpoint, `trust_remote_code`), which transformers' native `DeepseekV3Config`
 * repeats for the keys it has. Keys that fix tensor shapes (sizes, ranks, head dims, expert counts)
 * are required: a default of 7168 for a missing hidden_size would silently build the wrong model.
 *
 * Departures, each deliberate:
 * - `num_nextn_predict_layers` defaults to 0, not DeepSeek's 1: transformers (which has no MTP) and
 *   every DeepSeek-V2 config treat a missing key as "no MTP module", and an extra module's weights
 *   would be missing from such checkpoints.
 * - `num_key_value_heads` defaults to num_attention_heads (transformers' rule for None); MLA does
 *   not use it.
 */

/** How a field's value is checked; each kind has a sentence used in error messages. */
export type FieldKind =
  | 'posInt'
  | 'nonNegInt'
  | 'posNumber'
  | 'nonNegNumber'
  | 'bool'
  | 'nullablePosInt'
  | 'tokenId'
  | 'tokenIds'
  | 'string'
  | readonly string[];

/** One config key: its kind, whether it must be present, its default and what it means. */
export interface FieldSpec {
  readonly key: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  readonly default?: unknown;
  readonly doc: string;
}

const req = (key: string, kind: FieldKind, doc: string): FieldSpec => ({ key, kind, required: true, doc });
const opt = (key: string, kind: FieldKind, def: unknown, doc: string): FieldSpec => ({
  key,
  kind,
  required: false,
  default: def,
  doc,
});

/** Every key the parser reads, in config.json order of importance. */
export const CONFIG_FIELDS: readonly FieldSpec[] = Object.freeze([
  req(
    'model_type',
    ['deepseek_v3', 'deepseek_v2'],
    'architecture family; V2 checkpoints share the MLA + DeepSeekMoE layout',
  ),
  req('vocab_size', 'posInt', 'number of token ids (rows of embed_tokens and lm_head)'),
  req('hidden_size', 'posInt', 'model width'),
  req('intermediate_size', 'posInt', 'hidden width of the dense SwiGLU MLP layers'),
  req('moe_intermediate_size', 'posInt', 'hidden width of each routed or shared expert'),
  req('num_hidden_layers', 'posInt', 'number of transformer blocks in the main model'),
  opt('num_nextn_predict_layers', 'nonNegInt', 0, 'number of multi-token-prediction modules (V3 paper 2.2)'),
  req('num_attention_heads', 'posInt', 'attention heads'),
  opt('num_key_value_heads', 'posInt', undefined, 'unused by MLA; defaults to num_attention_heads'),
  req('n_shared_experts', 'nonNegInt', 'shared experts per MoE layer (0 for none)'),
  req('n_routed_experts', 'posInt', 'routed experts per MoE layer'),
  opt('routed_scaling_factor', 'posNumber', 2.5, "multiplier of the routed experts' combined output"),
  req('kv_lora_rank', 'posInt', 'rank of the compressed KV latent c (MLA)'),
  req('q_lora_rank', 'nullablePosInt', 'rank of the compressed query, or null for a plain q_proj'),
  req('qk_rope_head_dim', 'posInt', 'per-head query/key dims that carry RoPE'),
  req('v_head_dim', 'posInt', 'per-head value dims'),
  req('qk_nope_head_dim', 'posInt', 'per-head query/key dims without RoPE'),
  opt('topk_method', ['noaux_tc', 'greedy', 'group_limited_greedy'], 'noaux_tc', 'expert selection rule'),
  opt('n_group', 'posInt', 8, 'expert groups for group-limited routing'),
  opt('topk_group', 'posInt', 4, 'groups each token may route into'),
  req('num_experts_per_tok', 'posInt', 'routed experts active per token'),
  opt('moe_layer_freq', 'posInt', 1, 'every moe_layer_freq-th layer from first_k_dense_replace is MoE'),
  req('first_k_dense_replace', 'nonNegInt', 'number of leading dense (non-MoE) layers'),
  opt('norm_topk_prob', 'bool', true, "normalise the selected experts' weights to sum 1"),
  opt('scoring_func', ['sigmoid', 'softmax'], 'sigmoid', 'gate score function'),
  opt('aux_loss_alpha', 'nonNegNumber', 0.001, 'sequence-wise balance loss weight (training)'),
  opt('seq_aux', 'bool', true, 'compute the balance loss per sequence (training)'),
  opt('hidden_act', ['silu'], 'silu', 'MLP activation (SwiGLU needs silu)'),
  opt('max_position_embeddings', 'posInt', 4096, 'longest sequence the model is configured for'),
  opt('initializer_range', 'posNumber', 0.02, 'std of the normal weight initialisation'),
  opt('rms_norm_eps', 'posNumber', 1e-6, 'RMSNorm epsilon'),
  opt('use_cache', 'bool', true, 'keep a KV cache during generation'),
  opt('pad_token_id', 'tokenId', null, 'padding token id or null'),
  opt('bos_token_id', 'tokenId', 0, 'beginning-of-sequence token id'),
  opt('eos_token_id', 'tokenIds', 1, 'end-of-sequence token id(s)'),
  opt('tie_word_embeddings', 'bool', false, 'share lm_head with embed_tokens'),
  opt('rope_theta', 'posNumber', 10000, 'RoPE base'),
  opt(
    'attention_bias',
    'bool',
    false,
    'biases on q_a_proj, kv_a_proj_with_mqa and o_proj (never q_proj, q_b_proj, kv_b_proj)',
  ),
  opt('attention_dropout', 'nonNegNumber', 0, 'attention dropout probability'),
  opt('torch_dtype', 'string', undefined, 'dtype the checkpoint was saved in'),
]);

/** Keys of the YaRN `rope_scaling` object with their defaults (DeepseekV3YarnRotaryEmbedding). */
export const YARN_FIELDS: readonly FieldSpec[] = Object.freeze([
  req('factor', 'posNumber', 'context extension factor s'),
  opt('original_max_position_embeddings', 'posInt', 4096, 'pre-extension context length'),
  opt('beta_fast', 'posNumber', 32, 'YaRN ramp bound (rotations) for high frequencies'),
  opt('beta_slow', 'posNumber', 1, 'YaRN ramp bound (rotations) for low frequencies'),
  opt('mscale', 'nonNegNumber', 1, 'attention temperature coefficient'),
  opt('mscale_all_dim', 'nonNegNumber', 0, 'temperature coefficient applied to the softmax scale'),
]);

/**
 * Keys that config.json files carry and this project knowingly ignores (bookkeeping, remote-code
 * plumbing, parallelism settings, transformers-v5 renames); they produce no warning.
 */
export const IGNORED_KEYS: ReadonlySet<string> = new Set([
  'architectures',
  'auto_map',
  'transformers_version',
  'dtype',
  '_name_or_path',
  'ep_size',
  'pretraining_tp',
  'rope_interleave',
  'head_dim',
  'qk_head_dim',
  'mlp_bias',
  'rope_scaling',
  'rope_parameters',
  'quantization_config',
]);

/** The phrase an error uses for what a kind of field expects. */
export function expectation(kind: FieldKind): string {
  if (Array.isArray(kind)) return `one of ${kind.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (kind) {
    case 'posInt':
      return 'a positive integer';
    case 'nonNegInt':
      return 'a non-negative integer';
    case 'posNumber':
      return 'a positive finite number';
    case 'nonNegNumber':
      return 'a non-negative finite number';
    case 'bool':
      return 'true or false';
    case 'nullablePosInt':
      return 'a positive integer or null';
    case 'tokenId':
      return 'a non-negative integer or null';
    case 'tokenIds':
      return 'a non-negative integer, a list of them, or null';
    default:
      return 'a string';
  }
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** True when `v` is a valid value of `kind`. */
export function matchesKind(kind: FieldKind, v: unknown): boolean {
  if (Array.isArray(kind)) return typeof v === 'string' && kind.includes(v);
  switch (kind) {
    case 'posInt':
      return isInt(v) && v > 0;
    case 'nonNegInt':
      return isInt(v) && v >= 0;
    case 'posNumber':
      return typeof v === 'number' && Number.isFinite(v) && v > 0;
    case 'nonNegNumber':
      return typeof v === 'number' && Number.isFinite(v) && v >= 0;
    case 'bool':
      return typeof v === 'boolean';
    case 'nullablePosInt':
      return v === null || (isInt(v) && v > 0);
    case 'tokenId':
      return v === null || (isInt(v) && v >= 0);
    case 'tokenIds':
      return (
        v === null || (isInt(v) && v >= 0) || (Array.isArray(v) && v.length > 0 && v.every((x) => isInt(x) && x >= 0))
      );
    default:
      return typeof v === 'string';
  }
}
