/**
 * DeepSeek-V3 checkpoints as GGUF architecture `deepseek2`, the way llama.cpp's converter
 * (`DeepseekV2Model` in convert_hf_to_gguf.py / conversion/deepseek.py) writes them and its loader
 * (src/models/deepseek2.cpp, llama-model.cpp) reads them; checked against the llama.cpp bundled
 * with node-llama-cpp 3.21.1.
 *
 * - MLA is written in llama.cpp's absorbed form: `head_count_kv` 1, `key_length` kv_lora_rank +
 *   rope dim, `value_length` kv_lora_rank, the per-head sizes in `key_length_mla` /
 *   `value_length_mla`, and kv_b_proj split per head into `attn_k_b` (the k_nope rows, transposed:
 *   [H, kv_lora_rank, qk_nope]) and `attn_v_b` ([H, v_head_dim, kv_lora_rank]).
 * - Routed experts are stacked per layer into `ffn_{gate,up,down}_exps` [E, out, in]; the router
 *   bias e_score_correction_bias is `exp_probs_b.bias`; `expert_gating_func` is 2 for sigmoid
 *   (llama.cpp assumes softmax when it is absent); `expert_weights_norm` follows our gate
 *   (normalise only for sigmoid with norm_topk_prob); `expert_weights_scale` is
 *   routed_scaling_factor; groups are written when group limiting can exclude a group (our gate,
 *   like DeepSeek's code, limits groups whenever n_group > 1).
 * - llama.cpp rules: a 26- or 27-layer deepseek2 is read as a "lite" model without q LoRA, every
 *   other depth requires q LoRA; every layer from `leading_dense_block_count` on is MoE
 *   (moe_layer_freq 1); no attention biases. Configs breaking these are refused with the reason.
 * - MTP layers (model.layers.{num_hidden_layers}+) are not exported, as the converter skips them.
 * Norms, biases and the router stay F32; the other matrices take the requested type (F32, F16,
 * BF16, or Q8_0 where rows are whole 32-blocks, else F16).
 */
import { toFloat32 } from '../io/dtypes.js';
import { commonMetadata, gguf, type GgmlType, type GgufValue, storableType } from '../io/gguf-format.js';
import { encodeGgufData } from '../io/gguf-encode.js';
import type { GgufTensor } from '../io/gguf.js';
import type { StoredTensor } from '../io/safetensors.js';
import { isMoeLayer, type DeepseekV3Config } from '../models/deepseek-v3/config.js';

/** Reasons llama.cpp cannot run `config` as deepseek2 (empty when it can). */
export function deepseek2Problems(c: DeepseekV3Config): string[] {
  const out: string[] = [];
  const lite =
    c.num_hidden_layers === 26 || c.num_hidden_layers === 27 || (c.num_hidden_layers === 48 && c.vocab_size === 128256);
  if (lite && c.q_lora_rank !== null)
    out.push(
      `num_hidden_layers is ${c.num_hidden_layers}, which llama.cpp reads as a "lite" model without q LoRA, but q_lora_rank is ${c.q_lora_rank}`,
    );
  if (!lite && c.q_lora_rank === null)
    out.push(`q_lora_rank is null; llama.cpp requires q LoRA for deepseek2 models other than 26/27-layer "lite" ones`);
  if (c.n_shared_experts === 0)
    out.push('n_shared_experts is 0; llama.cpp deepseek2 requires the shared-expert tensors');
  if (c.attention_bias) out.push('attention_bias is true; llama.cpp deepseek2 has no attention biases');
  for (let l = 0; l < c.num_hidden_layers; l++) {
    if (isMoeLayer(c, l) !== l >= c.first_k_dense_replace) {
      out.push(
        `moe_layer_freq is ${c.moe_layer_freq}; llama.cpp makes every layer from first_k_dense_replace (${c.first_k_dense_replace}) on MoE`,
      );
      break;
    }
  }
  if (c.topk_method !== 'noaux_tc' && c.n_group > 1 && c.topk_group < c.n_group) {
    out.push(
      `topk_method ${c.topk_method} with ${c.n_group} groups has no correction bias, so our gate ranks ` +
        `groups by their max score; llama.cpp always ranks them by the top-2 sum`,
    );
  }
  if (c.rope_scaling && c.rope_scaling.mscale !== c.rope_scaling.mscale_all_dim && c.rope_scaling.mscale !== 1) {
    out.push(
      `rope_scaling.mscale ${c.rope_scaling.mscale} differs from mscale_all_dim ${c.rope_scaling.mscale_all_dim}; ` +
        `llama.cpp assumes they agree or mscale is 1`,
    );
  }
  return out;
}

/** The `general.*` and `deepseek2.*` metadata of a config. */
export function deepseek2Metadata(c: DeepseekV3Config, type: GgmlType, name: string): Map<string, GgufValue> {
  const a = 'deepseek2';
  const m = new Map<string, GgufValue>([
    ...commonMetadata(a, c, 1, type, name),
    [`${a}.expert_count`, gguf.u32(c.n_routed_experts)],
    [`${a}.expert_used_count`, gguf.u32(c.num_experts_per_tok)],
    [`${a}.expert_gating_func`, gguf.u32(c.scoring_func === 'sigmoid' ? 2 : 1)],
    [`${a}.leading_dense_block_count`, gguf.u32(c.first_k_dense_replace)],
    [`${a}.vocab_size`, gguf.u32(c.vocab_size)],
    [`${a}.attention.kv_lora_rank`, gguf.u32(c.kv_lora_rank)],
    [`${a}.attention.key_length`, gguf.u32(c.kv_lora_rank + c.qk_rope_head_dim)],
    [`${a}.attention.value_length`, gguf.u32(c.kv_lora_rank)],
    [`${a}.attention.key_length_mla`, gguf.u32(c.qk_nope_head_dim + c.qk_rope_head_dim)],
    [`${a}.attention.value_length_mla`, gguf.u32(c.v_head_dim)],
    [`${a}.expert_feed_forward_length`, gguf.u32(c.moe_intermediate_size)],
    [`${a}.expert_shared_count`, gguf.u32(c.n_shared_experts)],
    [`${a}.expert_weights_scale`, gguf.f32(c.routed_scaling_factor)],
    [`${a}.expert_weights_norm`, gguf.bool(c.scoring_func === 'sigmoid' && c.norm_topk_prob)],
    [`${a}.rope.dimension_count`, gguf.u32(c.qk_rope_head_dim)],
  ]);
  if (c.q_lora_rank !== null) m.set(`${a}.attention.q_lora_rank`, gguf.u32(c.q_lora_rank));
  if (c.n_group > 1 && c.topk_group < c.n_group) {
    m.set(`${a}.expert_group_count`, gguf.u32(c.n_group));
    m.set(`${a}.expert_group_used_count`, gguf.u32(c.topk_group));
  }
  const ys = c.rope_scaling;
  if (ys) {
    m.set(`${a}.rope.scaling.type`, gguf.str('yarn'));
    m.set(`${a}.rope.scaling.factor`, gguf.f32(ys.factor));
    m.set(`${a}.rope.scaling.original_context_length`, gguf.u32(ys.original_max_position_embeddings));
    m.set(`${a}.rope.scaling.yarn_beta_fast`, gguf.f32(ys.beta_fast));
    m.set(`${a}.rope.scaling.yarn_beta_slow`, gguf.f32(ys.beta_slow));
    m.set(`${a}.rope.scaling.yarn_log_multiplier`, gguf.f32(0.1 * ys.mscale_all_dim)); // llama.cpp divides by 0.1 again
  }
  return m;
}

/** The float32 values of a checkpoint tensor, checking its shape. */
function floats(tensors: ReadonlyMap<string, StoredTensor>, name: string, shape: readonly number[]): Float32Array {
  const t = tensors.get(name);
  if (!t) throw new Error(`gguf export: checkpoint has no tensor "${name}"`);
  if (t.shape.join(',') !== shape.join(','))
    throw new Error(`gguf export: tensor "${name}" has shape [${t.shape.join(', ')}]; expected [${shape.join(', ')}]`);
  return toFloat32(t.dtype, t.data);
}

/** kv_b_proj [H*(nope+v), r] -> k_b [H, r, nope] (transposed) and v_b [H, v, r]. */
export function splitKvB(
  kvB: Float32Array,
  heads: number,
  nope: number,
  v: number,
  r: number,
): { kB: Float32Array; vB: Float32Array } {
  const kB = new Float32Array(heads * r * nope);
  const vB = new Float32Array(heads * v * r);
  for (let h = 0; h < heads; h++) {
    const base = h * (nope + v) * r;
    for (let i = 0; i < nope; i++) for (let j = 0; j < r; j++) kB[(h * r + j) * nope + i] = kvB[base + i * r + j]!;
    vB.set(kvB.subarray(base + nope * r, base + (nope + v) * r), h * v * r);
  }
  return { kB, vB };
}

/** The stored type of a tensor: 1-D tensors and the router stay F32; block types need whole blocks. */
function storedType(type: GgmlType, shape: readonly number[], isRouter: boolean): GgmlType {
  if (shape.length < 2 || isRouter) return 'F32';
  return storableType(type, shape[shape.length - 1]!);
}

/** Every GGUF tensor of a deepseek2 file (MTP layers left out), in llama.cpp's order. */
export function deepseek2Tensors(
  c: DeepseekV3Config,
  tensors: ReadonlyMap<string, StoredTensor>,
  type: GgmlType,
): GgufTensor[] {
  const out: GgufTensor[] = [];
  const D = c.hidden_size,
    H = c.num_attention_heads,
    r = c.kv_lora_rank,
    E = c.n_routed_experts;
  const qk = c.qk_nope_head_dim + c.qk_rope_head_dim;
  const add = (name: string, shape: number[], values: Float32Array, router = false): void => {
    const t = storedType(type, shape, router);
    out.push({ name, type: t, shape, data: encodeGgufData(t, values) });
  };
  const copy = (hf: string, name: string, shape: number[], router = false): void =>
    add(name, shape, floats(tensors, hf, shape), router);
  copy('model.embed_tokens.weight', 'token_embd.weight', [c.vocab_size, D]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}`,
      b = `blk.${l}`;
    copy(`${p}.input_layernorm.weight`, `${b}.attn_norm.weight`, [D]);
    if (c.q_lora_rank !== null) {
      copy(`${p}.self_attn.q_a_proj.weight`, `${b}.attn_q_a.weight`, [c.q_lora_rank, D]);
      copy(`${p}.self_attn.q_a_layernorm.weight`, `${b}.attn_q_a_norm.weight`, [c.q_lora_rank]);
      copy(`${p}.self_attn.q_b_proj.weight`, `${b}.attn_q_b.weight`, [H * qk, c.q_lora_rank]);
    } else {
      copy(`${p}.self_attn.q_proj.weight`, `${b}.attn_q.weight`, [H * qk, D]);
    }
    copy(`${p}.self_attn.kv_a_proj_with_mqa.weight`, `${b}.attn_kv_a_mqa.weight`, [r + c.qk_rope_head_dim, D]);
    copy(`${p}.self_attn.kv_a_layernorm.weight`, `${b}.attn_kv_a_norm.weight`, [r]);
    const kvB = floats(tensors, `${p}.self_attn.kv_b_proj.weight`, [H * (c.qk_nope_head_dim + c.v_head_dim), r]);
    const { kB, vB } = splitKvB(kvB, H, c.qk_nope_head_dim, c.v_head_dim, r);
    add(`${b}.attn_k_b.weight`, [H, r, c.qk_nope_head_dim], kB);
    add(`${b}.attn_v_b.weight`, [H, c.v_head_dim, r], vB);
    copy(`${p}.self_attn.o_proj.weight`, `${b}.attn_output.weight`, [D, H * c.v_head_dim]);
    copy(`${p}.post_attention_layernorm.weight`, `${b}.ffn_norm.weight`, [D]);
    if (!isMoeLayer(c, l)) {
      for (const [hf, g] of [
        ['gate_proj', 'ffn_gate'],
        ['up_proj', 'ffn_up'],
      ] as const)
        copy(`${p}.mlp.${hf}.weight`, `${b}.${g}.weight`, [c.intermediate_size, D]);
      copy(`${p}.mlp.down_proj.weight`, `${b}.ffn_down.weight`, [D, c.intermediate_size]);
      continue;
    }
    const F = c.moe_intermediate_size;
    copy(`${p}.mlp.gate.weight`, `${b}.ffn_gate_inp.weight`, [E, D], true);
    if (c.topk_method === 'noaux_tc') copy(`${p}.mlp.gate.e_score_correction_bias`, `${b}.exp_probs_b.bias`, [E]);
    for (const [hf, g, shape] of [
      ['gate_proj', 'ffn_gate_exps', [F, D]],
      ['up_proj', 'ffn_up_exps', [F, D]],
      ['down_proj', 'ffn_down_exps', [D, F]],
    ] as const) {
      const n = shape[0] * shape[1];
      const stacked = new Float32Array(E * n);
      for (let e = 0; e < E; e++) stacked.set(floats(tensors, `${p}.mlp.experts.${e}.${hf}.weight`, shape), e * n);
      add(`${b}.${g}.weight`, [E, ...shape], stacked);
    }
    if (c.n_shared_experts > 0) {
      const S = c.n_shared_experts * F;
      copy(`${p}.mlp.shared_experts.gate_proj.weight`, `${b}.ffn_gate_shexp.weight`, [S, D]);
      copy(`${p}.mlp.shared_experts.up_proj.weight`, `${b}.ffn_up_shexp.weight`, [S, D]);
      copy(`${p}.mlp.shared_experts.down_proj.weight`, `${b}.ffn_down_shexp.weight`, [D, S]);
    }
  }
  copy('model.norm.weight', 'output_norm.weight', [D]);
  if (!c.tie_word_embeddings) copy('lm_head.weight', 'output.weight', [c.vocab_size, D]);
  return out;
}
