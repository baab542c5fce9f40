/**
 * Tensor names of a dense Qwen2 / Llama model in GGUF (llama.cpp's `qwen2` and `llama`
 * architectures, llama-arch.cpp) and their Hugging Face safetensors keys, both ways: the export
 * writes them, the GGUF loader reads them.
 */

const TO_GGUF: readonly [RegExp, string][] = [
  [/^model\.embed_tokens\.weight$/, 'token_embd.weight'],
  [/^model\.norm\.weight$/, 'output_norm.weight'],
  [/^lm_head\.weight$/, 'output.weight'],
  [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, 'blk.$1.attn_norm.weight'],
  [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, 'blk.$1.ffn_norm.weight'],
  [/^model\.layers\.(\d+)\.self_attn\.([qkv])_proj\.(weight|bias)$/, 'blk.$1.attn_$2.$3'],
  [/^model\.layers\.(\d+)\.self_attn\.o_proj\.(weight|bias)$/, 'blk.$1.attn_output.$2'],
  [/^model\.layers\.(\d+)\.mlp\.(gate|up|down)_proj\.weight$/, 'blk.$1.ffn_$2.weight'],
];

/** The GGUF name of a dense HF key. */
export function qwen2TensorName(hf: string): string {
  for (const [re, to] of TO_GGUF) if (re.test(hf)) return hf.replace(re, to);
  throw new Error(`gguf: no qwen2/llama GGUF name for tensor "${hf}"`);
}
