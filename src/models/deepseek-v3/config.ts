/**
 * DeepSeek-V3 model configuration: the Hugging Face `config.json` (model_type "deepseek_v3"),
 * typed with its own key names, validated, and with DeepSeek's defaults (see config-fields.ts for
 * the key table and which keys are required).
 *
 * Parsing reports every problem at once in one Error, each naming the key, the value found and
 * what was expected; keys it does not know are returned as a single warning (never printed here).
 * Beyond per-key types it checks the values that must agree: top-k within the routed experts,
 * experts divisible into n_group groups, the chosen groups holding enough experts, token ids
 * inside the vocabulary. `rope_scaling` must be null or YaRN (`type` or `rope_type` "yarn");
 * transformers v5's `rope_parameters` is read when `rope_scaling` is absent.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { CONFIG_FIELDS, expectation, type FieldSpec, IGNORED_KEYS, matchesKind, YARN_FIELDS } from './config-fields.js';

/** YaRN RoPE scaling parameters (HF `rope_scaling` with type "yarn"). */
export interface YarnRopeScaling {
  readonly type: 'yarn';
  readonly factor: number;
  readonly original_max_position_embeddings: number;
  readonly beta_fast: number;
  readonly beta_slow: number;
  readonly mscale: number;
  readonly mscale_all_dim: number;
}

/** FP8 block quantisation of a checkpoint (DeepSeek-V3 README_WEIGHTS.md). */
export interface Fp8QuantizationConfig {
  readonly quant_method: 'fp8';
  readonly fmt: 'e4m3';
  readonly activation_scheme: string;
  readonly weight_block_size: readonly [number, number];
}

/** A validated DeepSeek-V3 config; every field is the Hugging Face config.json key of that name. */
export interface DeepseekV3Config {
  readonly model_type: 'deepseek_v3' | 'deepseek_v2';
  readonly vocab_size: number;
  readonly hidden_size: number;
  readonly intermediate_size: number;
  readonly moe_intermediate_size: number;
  readonly num_hidden_layers: number;
  readonly num_nextn_predict_layers: number;
  readonly num_attention_heads: number;
  readonly num_key_value_heads: number;
  readonly n_shared_experts: number;
  readonly n_routed_experts: number;
  readonly routed_scaling_factor: number;
  readonly kv_lora_rank: number;
  readonly q_lora_rank: number | null;
  readonly qk_rope_head_dim: number;
  readonly v_head_dim: number;
  readonly qk_nope_head_dim: number;
  readonly topk_method: 'noaux_tc' | 'greedy' | 'group_limited_greedy';
  readonly n_group: number;
  readonly topk_group: number;
  readonly num_experts_per_tok: number;
  readonly moe_layer_freq: number;
  readonly first_k_dense_replace: number;
  readonly norm_topk_prob: boolean;
  readonly scoring_func: 'sigmoid' | 'softmax';
  readonly aux_loss_alpha: number;
  readonly seq_aux: boolean;
  readonly hidden_act: 'silu';
  readonly max_position_embeddings: number;
  readonly initializer_range: number;
  readonly rms_norm_eps: number;
  readonly use_cache: boolean;
  readonly pad_token_id: number | null;
  readonly bos_token_id: number | null;
  readonly eos_token_id: number | readonly number[] | null;
  readonly tie_word_embeddings: boolean;
  readonly rope_theta: number;
  readonly rope_scaling: YarnRopeScaling | null;
  readonly attention_bias: boolean;
  readonly attention_dropout: number;
  readonly torch_dtype?: string;
  readonly quantization_config?: Fp8QuantizationConfig;
}

/** A parsed config and the warnings parsing produced (unknown keys), for the caller to show. */
export interface ParsedConfig {
  readonly config: DeepseekV3Config;
  readonly warnings: readonly string[];
}

const show = (v: unknown): string => (v === undefined ? 'missing' : `${JSON.stringify(v)}`);

function readFields(
  obj: Record<string, unknown>,
  fields: readonly FieldSpec[],
  prefix: string,
  issues: string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const v = obj[f.key];
    if (v === undefined && !f.required) {
      if (f.default !== undefined) out[f.key] = f.default;
      continue;
    }
    if (!matchesKind(f.kind, v)) {
      const found = v === undefined ? 'is missing' : `is ${show(v)}`;
      issues.push(`"${prefix}${f.key}" ${found}; expected ${expectation(f.kind)} (${f.doc})`);
      continue;
    }
    out[f.key] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readRopeScaling(
  raw: Record<string, unknown>,
  issues: string[],
  unknown: string[],
): { scaling: YarnRopeScaling | null; theta?: unknown } {
  let rs = raw.rope_scaling;
  let key = 'rope_scaling';
  let theta: unknown;
  const params = raw.rope_parameters;
  if (rs === undefined && isObject(params)) {
    key = 'rope_parameters';
    rs = params;
    theta = params.rope_theta;
    if (params.rope_type === 'default' || params.type === 'default') return { scaling: null, theta };
  }
  if (rs === undefined || rs === null) return { scaling: null, theta };
  if (!isObject(rs)) {
    issues.push(`"${key}" is ${show(rs)}; expected null or an object with type "yarn"`);
    return { scaling: null };
  }
  const type = rs.type ?? rs.rope_type;
  if (type !== 'yarn' || (rs.type !== undefined && rs.rope_type !== undefined && rs.type !== rs.rope_type)) {
    issues.push(
      `"${key}.type" is ${show(rs.type ?? rs.rope_type)}; expected "yarn" (the only RoPE scaling DeepSeek-V3 uses) or rope_scaling null`,
    );
    return { scaling: null };
  }
  const known = new Set([...YARN_FIELDS.map((f) => f.key), 'type', 'rope_type', 'rope_theta']);
  for (const k of Object.keys(rs)) if (!known.has(k)) unknown.push(`${key}.${k}`);
  const fields = readFields(rs, YARN_FIELDS, `${key}.`, issues);
  if (
    typeof fields.beta_fast === 'number' &&
    typeof fields.beta_slow === 'number' &&
    fields.beta_fast < fields.beta_slow
  ) {
    issues.push(
      `"${key}.beta_fast" is ${fields.beta_fast} but beta_slow is ${fields.beta_slow}; expected beta_fast >= beta_slow`,
    );
  }
  return { scaling: { type: 'yarn', ...fields } as YarnRopeScaling, theta };
}

function readQuantization(raw: unknown, issues: string[]): Fp8QuantizationConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const q = isObject(raw) ? raw : {};
  const block = q.weight_block_size;
  const blockOk = Array.isArray(block) && block.length === 2 && block.every((b) => matchesKind('posInt', b));
  if (q.quant_method !== 'fp8' || (q.fmt ?? 'e4m3') !== 'e4m3' || !blockOk) {
    issues.push(
      `"quantization_config" is ${show(raw)}; expected {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [rows, cols]}`,
    );
    return undefined;
  }
  return {
    quant_method: 'fp8',
    fmt: 'e4m3',
    activation_scheme: String(q.activation_scheme ?? 'dynamic'),
    weight_block_size: [block[0], block[1]],
  };
}

function checkConsistency(c: DeepseekV3Config, issues: string[]): void {
  const { n_routed_experts: n, num_experts_per_tok: k, n_group: g, topk_group: tg } = c;
  if (k > n) issues.push(`"num_experts_per_tok" is ${k}; expected at most n_routed_experts (${n})`);
  if (n % g !== 0)
    issues.push(`"n_routed_experts" is ${n}; expected a multiple of n_group (${g}) so experts split into equal groups`);
  if (tg > g) issues.push(`"topk_group" is ${tg}; expected at most n_group (${g})`);
  if (n % g === 0 && tg <= g && k > tg * (n / g)) {
    issues.push(
      `"num_experts_per_tok" is ${k}; expected at most topk_group x experts per group = ${tg} x ${n / g} = ${tg * (n / g)}`,
    );
  }
  if (c.topk_method === 'noaux_tc' && g > 1 && n / g < 2) {
    issues.push(
      `"n_group" is ${g} with ${n} routed experts; noaux_tc ranks groups by their top-2 scores, so expected at least 2 experts per group`,
    );
  }
  for (const key of ['pad_token_id', 'bos_token_id', 'eos_token_id'] as const) {
    const ids = c[key] === null ? [] : Array.isArray(c[key]) ? (c[key] as number[]) : [c[key] as number];
    for (const id of ids)
      if (id >= c.vocab_size) issues.push(`"${key}" is ${id}; expected a token id below vocab_size (${c.vocab_size})`);
  }
  if (c.attention_dropout >= 1)
    issues.push(`"attention_dropout" is ${c.attention_dropout}; expected a probability below 1`);
}

/**
 * Validates a parsed config.json object. Throws one Error listing every problem; returns the typed
 * config with defaults filled in and a warning naming any unknown keys.
 * @example parseDeepseekV3Config(JSON.parse(text), 'ckpt/config.json').config.kv_lora_rank
 */
export function parseDeepseekV3Config(raw: unknown, source = 'config.json'): ParsedConfig {
  if (!isObject(raw)) throw new Error(`${source}: config is ${show(raw)}; expected a JSON object`);
  const issues: string[] = [];
  const unknown = Object.keys(raw).filter((k) => !IGNORED_KEYS.has(k) && !CONFIG_FIELDS.some((f) => f.key === k));
  const fields = readFields(raw, CONFIG_FIELDS, '', issues);
  const { scaling, theta } = readRopeScaling(raw, issues, unknown);
  if (raw.rope_theta === undefined && theta !== undefined) {
    if (matchesKind('posNumber', theta)) fields.rope_theta = theta;
    else issues.push(`"rope_parameters.rope_theta" is ${show(theta)}; expected a positive finite number`);
  }
  const quantization = readQuantization(raw.quantization_config, issues);
  if (issues.length === 0) {
    fields.num_key_value_heads ??= fields.num_attention_heads;
    const config = {
      ...fields,
      rope_scaling: scaling,
      ...(quantization ? { quantization_config: quantization } : {}),
    } as unknown as DeepseekV3Config;
    checkConsistency(config, issues);
    if (issues.length === 0) {
      const warnings =
        unknown.length > 0
          ? [`${source}: ignoring ${unknown.length} unknown key${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`]
          : [];
      return { config, warnings };
    }
  }
  throw new Error(`${source}: invalid DeepSeek-V3 config: ${issues.join('; ')}`);
}

/** Reads and validates a config.json file. */
export async function readDeepseekV3Config(path: string): Promise<ParsedConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: cannot read config.json (${(err as Error).message})`);
  }
  return parseDeepseekV3Config(json, path);
}

/** The config as a Hugging Face config.json object (with `architectures`), ready to serialise. */
export function toConfigJson(config: DeepseekV3Config): Record<string, unknown> {
  const arch = config.model_type === 'deepseek_v2' ? 'DeepseekV2ForCausalLM' : 'DeepseekV3ForCausalLM';
  return { architectures: [arch], ...structuredClone(config) };
}

/** Writes the config as config.json, atomically. */
export async function writeDeepseekV3Config(path: string, config: DeepseekV3Config): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(toConfigJson(config), null, 2)}\n`));
}

/** Per-head query/key width: qk_nope_head_dim + qk_rope_head_dim. */
export function qkHeadDim(config: DeepseekV3Config): number {
  return config.qk_nope_head_dim + config.qk_rope_head_dim;
}

/**
 * Whether block `layer` uses the MoE MLP (else the dense SwiGLU): at or past first_k_dense_replace
 * and on the moe_layer_freq stride, as in DeepSeek's modeling code. MTP blocks (layer index
 * num_hidden_layers + k) follow the same rule.
 */
export function isMoeLayer(config: DeepseekV3Config, layer: number): boolean {
  return layer >= config.first_k_dense_replace && layer % config.moe_layer_freq === 0;
}
