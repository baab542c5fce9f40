/**
 * DeepSeek-V2/V3 models from llama.cpp GGUF files of architecture `deepseek2`: the config.json a
 * file stands for, rebuilt from its `deepseek2.*` metadata and tensor shapes, and its tensors as
 * float32 under their Hugging Face keys, so the loader, the checks and the model are those of a
 * safetensors folder (checkpoint.ts). The inverse of src/export/gguf-deepseek2.ts, in both of
 * llama.cpp's MLA layouts:
 * - absorbed (llama.cpp since 2025, and this project's exporter): `head_count_kv` 1, per-head sizes
 *   in `key_length_mla` / `value_length_mla`, kv_b_proj split into `attn_k_b` [H, r, nope]
 *   (transposed) and `attn_v_b` [H, v, r];
 * - earlier files: one `attn_kv_b` [H * (nope + v), r], per-head sizes in `key_length` /
 *   `value_length`.
 * Routed experts come unstacked from `ffn_{gate,up,down}_exps` [E, out, in]; `exp_probs_b.bias` is
 * the router's e_score_correction_bias (and means `noaux_tc` routing); `expert_gating_func` 2 is
 * sigmoid scoring (absent or 1: softmax, as llama.cpp assumes); `expert_weights_norm` is
 * norm_topk_prob. Block-quantized weights are dequantized as ggml does. NextN (MTP) layers that a
 * file may carry are left out, as the exporter leaves them out (warned).
 * Weights are float32 in the model, so a file is as large in memory as its F32 form; the caller
 * sizes it first (deepseekMemoryParts).
 */
import type { GgufValue } from '../../io/gguf-format.js';
import { GgufFile, type GgufTensorInfo } from '../../io/gguf-reader.js';
import { dequantize } from '../../io/quant-blocks.js';
import type { StoredTensor } from '../../io/safetensors.js';
import type { Engine, Tensor } from '../../tensor/index.js';
import { paramsFromContents, parameterSpecs } from './checkpoint.js';
import { type DeepseekV3Config, isMoeLayer, type ParsedConfig, parseDeepseekV3Config } from './config.js';

type Meta = ReadonlyMap<string, GgufValue>;

function value(meta: Meta, key: string): GgufValue['value'] | undefined {
  const v = meta.get(key)?.value;
  return typeof v === 'bigint' ? Number(v) : v;
}

function need(meta: Meta, key: string, source: string): number {
  const v = value(meta, key);
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(
      `${source}: metadata "${key}" is ${v === undefined ? 'missing' : JSON.stringify(String(v))}; a deepseek2 model needs it`,
    );
  return v;
}

/** The config.json of a deepseek2 file, validated as a folder's would be. */
export function deepseekConfigFromGguf(
  meta: Meta,
  tensors: ReadonlyMap<string, GgufTensorInfo>,
  source: string,
): ParsedConfig {
  const a = 'deepseek2';
  if (value(meta, 'general.architecture') !== a)
    throw new Error(
      `${source}: general.architecture is ${JSON.stringify(value(meta, 'general.architecture'))}; expected "deepseek2"`,
    );
  const m = (key: string) => need(meta, `${a}.${key}`, source);
  const opt = (key: string) => value(meta, `${a}.${key}`);
  const embd = tensors.get('token_embd.weight');
  if (embd === undefined || embd.shape.length !== 2)
    throw new Error(`${source}: tensor "token_embd.weight" is missing or not 2-D; it gives vocab_size`);
  const rope = m('rope.dimension_count');
  const absorbed = tensors.has('blk.0.attn_k_b.weight');
  if (!absorbed && !tensors.has('blk.0.attn_kv_b.weight'))
    throw new Error(`${source}: neither "blk.0.attn_k_b.weight" nor "blk.0.attn_kv_b.weight"; cannot read MLA`);
  const qk = absorbed ? m('attention.key_length_mla') : m('attention.key_length');
  const v = absorbed ? m('attention.value_length_mla') : m('attention.value_length');
  const nextn = Number(opt('nextn_predict_layers') ?? 0);
  const groups = opt('expert_group_count');
  const bias = tensors.has(`blk.${need(meta, `${a}.leading_dense_block_count`, source)}.exp_probs_b.bias`);
  const raw: Record<string, unknown> = {
    model_type: 'deepseek_v3',
    vocab_size: embd.shape[0],
    hidden_size: m('embedding_length'),
    intermediate_size: m('feed_forward_length'),
    moe_intermediate_size: m('expert_feed_forward_length'),
    num_hidden_layers: m('block_count') - nextn,
    num_nextn_predict_layers: 0,
    num_attention_heads: m('attention.head_count'),
    n_shared_experts: m('expert_shared_count'),
    n_routed_experts: m('expert_count'),
    routed_scaling_factor: Number(opt('expert_weights_scale') ?? 1),
    kv_lora_rank: m('attention.kv_lora_rank'),
    q_lora_rank: opt('attention.q_lora_rank') ?? null,
    qk_rope_head_dim: rope,
    qk_nope_head_dim: qk - rope,
    v_head_dim: v,
    topk_method: bias ? 'noaux_tc' : groups !== undefined ? 'group_limited_greedy' : 'greedy',
    n_group: Number(groups ?? 1),
    topk_group: Number(opt('expert_group_used_count') ?? 1),
    num_experts_per_tok: m('expert_used_count'),
    first_k_dense_replace: m('leading_dense_block_count'),
    norm_topk_prob: opt('expert_weights_norm') === true,
    scoring_func: opt('expert_gating_func') === 2 ? 'sigmoid' : 'softmax',
    max_position_embeddings: m('context_length'),
    rms_norm_eps: m('attention.layer_norm_rms_epsilon'),
    rope_theta: Number(opt('rope.freq_base') ?? 10000),
    tie_word_embeddings: !tensors.has('output.weight'),
    bos_token_id: value(meta, 'tokenizer.ggml.bos_token_id') ?? null,
    eos_token_id: value(meta, 'tokenizer.ggml.eos_token_id') ?? null,
  };
  const scaling = opt('rope.scaling.type');
  if (scaling !== undefined && scaling !== 'none') {
    if (scaling !== 'yarn')
      throw new Error(`${source}: metadata "${a}.rope.scaling.type" is ${JSON.stringify(scaling)}; only yarn is read`);
    const mscale = Number(opt('rope.scaling.yarn_log_multiplier') ?? 0) / 0.1; // llama.cpp stores 0.1 * mscale_all_dim
    raw.rope_scaling = {
      type: 'yarn',
      factor: m('rope.scaling.factor'),
      original_max_position_embeddings: m('rope.scaling.original_context_length'),
      beta_fast: Number(opt('rope.scaling.yarn_beta_fast') ?? 32),
      beta_slow: Number(opt('rope.scaling.yarn_beta_slow') ?? 1),
      mscale,
      mscale_all_dim: mscale,
    };
  }
  const parsed = parseDeepseekV3Config(raw, `${source} (deepseek2 metadata)`);
  const dropped =
    nextn > 0 ? [`${source}: ${nextn} NextN (MTP) layer(s) in the file are not loaded (no MTP drafting)`] : [];
  return { config: parsed.config, warnings: [...parsed.warnings, ...dropped] };
}

/** Tensor `name` of `file` as float32, checking its shape. */
async function floats(file: GgufFile, name: string, shape: readonly number[]): Promise<Float32Array> {
  const t = file.info(name);
  if (t.shape.join(',') !== shape.join(','))
    throw new Error(
      `${file.path}: tensor "${name}" has shape [${t.shape.join(', ')}]; the metadata implies [${shape.join(', ')}]`,
    );
  return dequantize(
    t.type,
    await file.read(name),
    shape.reduce((x, y) => x * y, 1),
  );
}

/** k_b [H, r, nope] (transposed) and v_b [H, v, r] -> kv_b_proj [H * (nope + v), r]. */
export function joinKvB(
  kB: Float32Array,
  vB: Float32Array,
  heads: number,
  nope: number,
  v: number,
  r: number,
): Float32Array {
  const out = new Float32Array(heads * (nope + v) * r);
  for (let h = 0; h < heads; h++) {
    const base = h * (nope + v) * r;
    for (let i = 0; i < nope; i++) for (let j = 0; j < r; j++) out[base + i * r + j] = kB[(h * r + j) * nope + i]!;
    out.set(vB.subarray(h * v * r, (h + 1) * v * r), base + nope * r);
  }
  return out;
}

/** GGUF name of a per-layer HF tensor (experts and kv_b are handled apart). */
const LAYER_NAMES: Readonly<Record<string, string>> = {
  'input_layernorm.weight': 'attn_norm.weight',
  'self_attn.q_a_proj.weight': 'attn_q_a.weight',
  'self_attn.q_a_layernorm.weight': 'attn_q_a_norm.weight',
  'self_attn.q_b_proj.weight': 'attn_q_b.weight',
  'self_attn.q_proj.weight': 'attn_q.weight',
  'self_attn.kv_a_proj_with_mqa.weight': 'attn_kv_a_mqa.weight',
  'self_attn.kv_a_layernorm.weight': 'attn_kv_a_norm.weight',
  'self_attn.o_proj.weight': 'attn_output.weight',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  'mlp.gate_proj.weight': 'ffn_gate.weight',
  'mlp.up_proj.weight': 'ffn_up.weight',
  'mlp.down_proj.weight': 'ffn_down.weight',
  'mlp.gate.weight': 'ffn_gate_inp.weight',
  'mlp.gate.e_score_correction_bias': 'exp_probs_b.bias',
  'mlp.shared_experts.gate_proj.weight': 'ffn_gate_shexp.weight',
  'mlp.shared_experts.up_proj.weight': 'ffn_up_shexp.weight',
  'mlp.shared_experts.down_proj.weight': 'ffn_down_shexp.weight',
};

/**
 * Every parameter of `config` read from `file` as a float32 tensor under its HF key, in
 * parameterSpecs order (a stacked expert tensor is read once per layer).
 */
export async function deepseekTensorsFromGguf(
  file: GgufFile,
  parsed: ParsedConfig,
): Promise<Map<string, StoredTensor>> {
  const c = parsed.config,
    out = new Map<string, StoredTensor>();
  const put = (name: string, shape: readonly number[], data: Float32Array) =>
    out.set(name, { dtype: 'F32', shape, data });
  const stacked = new Map<string, Float32Array>(); // the current layer's expert stacks
  let stackedLayer = -1;
  const H = c.num_attention_heads,
    r = c.kv_lora_rank,
    nope = c.qk_nope_head_dim,
    v = c.v_head_dim;
  for (const s of parameterSpecs(c)) {
    const m = /^model\.layers\.(\d+)\.(.+)$/.exec(s.name);
    if (m === null) {
      const name = {
        'model.embed_tokens.weight': 'token_embd.weight',
        'model.norm.weight': 'output_norm.weight',
        'lm_head.weight': 'output.weight',
      }[s.name];
      if (name === undefined) throw new Error(`${file.path}: no GGUF tensor for "${s.name}"`);
      put(s.name, s.shape, await floats(file, name, s.shape));
      continue;
    }
    const l = Number(m[1]),
      key = m[2]!,
      b = `blk.${l}`;
    if (key === 'self_attn.kv_b_proj.weight') {
      if (file.tensors.has(`${b}.attn_kv_b.weight`))
        put(s.name, s.shape, await floats(file, `${b}.attn_kv_b.weight`, s.shape));
      else {
        const kB = await floats(file, `${b}.attn_k_b.weight`, [H, r, nope]),
          vB = await floats(file, `${b}.attn_v_b.weight`, [H, v, r]);
        put(s.name, s.shape, joinKvB(kB, vB, H, nope, v, r));
      }
      continue;
    }
    const e = /^mlp\.experts\.(\d+)\.(gate|up|down)_proj\.weight$/.exec(key);
    if (e) {
      if (!isMoeLayer(c, l)) throw new Error(`${file.path}: "${s.name}" in a dense layer`);
      const name = `${b}.ffn_${e[2]}_exps.weight`,
        n = s.shape[0]! * s.shape[1]!;
      if (stackedLayer !== l) {
        stacked.clear();
        stackedLayer = l;
      }
      if (!stacked.has(name))
        stacked.set(name, await floats(file, name, [c.n_routed_experts, s.shape[0]!, s.shape[1]!]));
      const k = Number(e[1]);
      put(s.name, s.shape, stacked.get(name)!.slice(k * n, (k + 1) * n));
      continue;
    }
    const name = LAYER_NAMES[key];
    if (name === undefined) throw new Error(`${file.path}: no GGUF tensor for "${s.name}"`);
    put(s.name, s.shape, await floats(file, `${b}.${name}`, s.shape));
  }
  return out;
}

/** `general.architecture` of a GGUF file (reads its header only). */
export async function ggufArchitecture(path: string): Promise<string | undefined> {
  const file = await GgufFile.open(path);
  try {
    const a = file.metadata.get('general.architecture')?.value;
    return typeof a === 'string' ? a : undefined;
  } finally {
    await file.close();
  }
}

/** A deepseek2 GGUF file as a DeepSeek-V3 parameter map, with the file's metadata (tokenizer, template). */
export interface DeepseekGguf {
  config: DeepseekV3Config;
  params: Map<string, Tensor>;
  warnings: string[];
  metadata: GgufFile['metadata'];
}

/**
 * Loads `path` into `engine`; `check` sees the config before any tensor is read (the memory
 * estimate), so a model that cannot fit fails before it is allocated.
 */
export async function loadDeepseekGguf(
  engine: Engine,
  path: string,
  check: (config: DeepseekV3Config) => void = () => {},
): Promise<DeepseekGguf> {
  const file = await GgufFile.open(path);
  try {
    const parsed = deepseekConfigFromGguf(file.metadata, file.tensors, path);
    check(parsed.config);
    const tensors = await deepseekTensorsFromGguf(file, parsed);
    const { params, warnings } = paramsFromContents(engine, parsed.config, { tensors, metadata: {} }, path);
    return { config: parsed.config, params, warnings: [...parsed.warnings, ...warnings], metadata: file.metadata };
  } finally {
    await file.close();
  }
}
