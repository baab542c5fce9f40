/**
 * Dense students (Qwen2, and Llama without an o_proj bias) as GGUF architecture `qwen2`, as
 * llama.cpp's Qwen2Model converter writes them and src/models/qwen2.cpp loads them. qwen2 uses
 * NEOX ("rotate half") RoPE, the same as Hugging Face Qwen2/Llama, so q/k weights are written
 * unpermuted; q/k/v biases are optional in the loader, so a bias-free Llama student maps onto it
 * too. llama.cpp sizes attn_output as [n_embd, n_embd], so heads x head_dim must equal
 * hidden_size; configs that break this, or have an o_proj bias, are refused with the reason.
 */
import { toFloat32 } from '../io/dtypes.js';
import { commonMetadata, type GgmlType, type GgufValue, storableType } from '../io/gguf-format.js';
import { encodeGgufData } from '../io/gguf-encode.js';
import type { GgufTensor } from '../io/gguf.js';
import type { StoredTensor } from '../io/safetensors.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { qwen2TensorName } from '../models/qwen2/gguf-names.js';
import { denseTensors } from '../models/qwen2/params.js';

/** Reasons llama.cpp cannot run `c` as qwen2 (empty when it can). */
export function qwen2Problems(c: DenseConfig): string[] {
  const out: string[] = [];
  if (c.num_attention_heads * c.head_dim !== c.hidden_size) {
    out.push(
      `num_attention_heads x head_dim is ${c.num_attention_heads * c.head_dim} but hidden_size is ` +
        `${c.hidden_size}; llama.cpp's qwen2 needs them equal`,
    );
  }
  if (c.model_type === 'llama' && c.attention_bias)
    out.push("a Llama attention_bias includes an o_proj bias, which llama.cpp's qwen2 does not load");
  if (c.rope_scaling)
    out.push(
      `rope_scaling ${c.rope_scaling.rope_type} needs llama.cpp's "rope_freqs.weight" tensor, which its qwen2 ` +
        'architecture does not load (export as GGUF architecture llama is not implemented)',
    );
  return out;
}

/** The `general.*` and `qwen2.*` metadata of a dense config. */
export function qwen2Metadata(c: DenseConfig, type: GgmlType, name: string): Map<string, GgufValue> {
  const a = 'qwen2';
  return new Map<string, GgufValue>([...commonMetadata(a, c, c.num_key_value_heads, type, name)]);
}

export { qwen2TensorName };

/** Every GGUF tensor of a qwen2 file; matrices take `type` where rows are whole blocks (else storableType's fallback). */
export function qwen2Tensors(c: DenseConfig, tensors: ReadonlyMap<string, StoredTensor>, type: GgmlType): GgufTensor[] {
  return denseTensors(c).map((s) => {
    const t = tensors.get(s.name);
    if (!t) throw new Error(`gguf export: checkpoint has no tensor "${s.name}"`);
    if (t.shape.join(',') !== s.shape.join(','))
      throw new Error(
        `gguf export: tensor "${s.name}" has shape [${t.shape.join(', ')}]; expected [${s.shape.join(', ')}]`,
      );
    const stored: GgmlType = s.shape.length < 2 ? 'F32' : storableType(type, s.shape[1]!);
    return {
      name: qwen2TensorName(s.name),
      type: stored,
      shape: [...s.shape],
      data: encodeGgufData(stored, toFloat32(t.dtype, t.data)),
    };
  });
}
