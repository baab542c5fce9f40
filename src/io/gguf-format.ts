/**
 * GGUF v3 constants (ggml docs/gguf.md): metadata value types, the ggml tensor types this project
 * writes and reads, their byte sizes, and the `general.file_type` codes llama.cpp reports.
 *
 * GGUF lists tensor dimensions innermost-first (ggml `ne[0]` is the contiguous one); every API in
 * this project takes and returns shapes outermost-first (row-major, as safetensors and PyTorch
 * do) and reverses them only at the file boundary.
 */

/** The file magic "GGUF" read as a little-endian u32. */
export const GGUF_MAGIC = 0x46554747;
/** The version this writer produces; the reader also accepts 2 (same layout, 64-bit counts). */
export const GGUF_VERSION = 3;
/** Alignment of the data section and of every tensor's offset when `general.alignment` is absent. */
export const GGUF_DEFAULT_ALIGNMENT = 32;

/** Metadata value type codes (gguf.md, `gguf_metadata_value_type`). */
export const VALUE_TYPES = Object.freeze({
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const);

/** A scalar metadata type name. */
export type GgufScalarType = Exclude<keyof typeof VALUE_TYPES, 'array'>;

/** One metadata value with its explicit GGUF type (JS numbers alone cannot say u32 vs f32). */
export type GgufValue =
  | { readonly type: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64'; readonly value: number }
  | { readonly type: 'u64' | 'i64'; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string }
  | {
      readonly type: 'array';
      readonly itemType: GgufScalarType;
      readonly value: readonly (number | bigint | boolean | string)[];
    };

/** Typed metadata value helpers, e.g. `gguf.u32(4)`, `gguf.arr('string', tokens)`. */
export const gguf = Object.freeze({
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  u64: (value: number | bigint): GgufValue => ({ type: 'u64', value: BigInt(value) }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  arr: (itemType: GgufScalarType, value: readonly (number | bigint | boolean | string)[]): GgufValue => ({
    type: 'array',
    itemType,
    value,
  }),
});

/**
 * ggml tensor types handled here, with their ggml_type codes (ggml.h). Q4_0/Q8_0 are blocks of 32
 * elements, Q4_K/Q6_K super-blocks of 256 (the "k-quants"); layouts in src/io/quant-blocks.ts.
 */
export const GGML_TYPES = Object.freeze({ F32: 0, F16: 1, Q4_0: 2, Q8_0: 8, Q4_K: 12, Q6_K: 14, BF16: 30 } as const);
/** A ggml tensor type name handled here. */
export type GgmlType = keyof typeof GGML_TYPES;

/** Elements per Q8_0 block and bytes per block (an f16 scale then 32 int8 values). */
export const Q8_0_BLOCK = 32;
export const Q8_0_BLOCK_BYTES = 34;

/** Elements per block and bytes per block of each type (a plain type is a "block" of one element). */
export const GGML_BLOCKS: Readonly<Record<GgmlType, { readonly elems: number; readonly bytes: number }>> =
  Object.freeze({
    F32: { elems: 1, bytes: 4 },
    F16: { elems: 1, bytes: 2 },
    BF16: { elems: 1, bytes: 2 },
    Q4_0: { elems: 32, bytes: 18 },
    Q8_0: { elems: 32, bytes: 34 },
    Q4_K: { elems: 256, bytes: 144 },
    Q6_K: { elems: 256, bytes: 210 },
  });

/** The ggml type name for a code, or undefined for a type this project does not handle. */
export function ggmlTypeName(code: number): GgmlType | undefined {
  return (Object.keys(GGML_TYPES) as GgmlType[]).find((k) => GGML_TYPES[k] === code);
}

/** True for the block-quantized types (rows must be whole blocks). */
export function isBlockType(type: GgmlType): boolean {
  return GGML_BLOCKS[type].elems > 1;
}

/** Bytes of one row of `cols` elements of `type`; throws when the row is not whole blocks. */
export function ggmlRowBytes(type: GgmlType, cols: number, name = 'tensor'): number {
  const b = GGML_BLOCKS[type];
  if (cols % b.elems !== 0)
    throw new Error(
      `${name}: ${type} needs rows of a multiple of ${b.elems} elements; the innermost dimension is ${cols}`,
    );
  return (cols / b.elems) * b.bytes;
}

/**
 * The type a matrix with rows of `cols` elements is stored as when `type` is asked for: `type` when
 * rows are whole blocks, else Q8_0 for a block type whose rows are whole 32-blocks, else F16.
 */
export function storableType(type: GgmlType, cols: number): GgmlType {
  if (cols % GGML_BLOCKS[type].elems === 0) return type;
  return cols % 32 === 0 ? 'Q8_0' : 'F16';
}

/** Bytes a tensor of `type` and row-major `shape` occupies; throws when rows are not whole blocks. */
export function ggmlTensorBytes(type: GgmlType, shape: readonly number[], name = 'tensor'): number {
  const inner = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  return rows * ggmlRowBytes(type, inner, name);
}

/**
 * `general.file_type` (llama_ftype) for a file whose large tensors are all `type` (all-Q4_K is
 * llama.cpp's MOSTLY_Q4_K_S).
 */
export const FILE_TYPES: Readonly<Record<GgmlType, number>> = Object.freeze({
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q8_0: 7,
  Q4_K: 14,
  Q6_K: 18,
  BF16: 32,
});

/** The HF config fields every GGUF transformer architecture records the same way. */
export interface CommonDims {
  num_hidden_layers: number;
  max_position_embeddings: number;
  hidden_size: number;
  intermediate_size: number;
  num_attention_heads: number;
  rope_theta: number;
  rms_norm_eps: number;
}

/**
 * The `general.*` keys and the architecture keys shared by llama.cpp's transformer loaders
 * (block count, context, widths, head count, RoPE base, RMS epsilon), in GGUF's order.
 * `headCountKv` differs by architecture (1 for MLA's shared latent head, the KV heads for GQA).
 */
export function commonMetadata(
  arch: string,
  c: CommonDims,
  headCountKv: number,
  type: GgmlType,
  name: string,
): [string, GgufValue][] {
  return [
    ['general.architecture', gguf.str(arch)],
    ['general.type', gguf.str('model')],
    ['general.name', gguf.str(name)],
    ['general.file_type', gguf.u32(FILE_TYPES[type])],
    ['general.quantization_version', gguf.u32(2)],
    [`${arch}.block_count`, gguf.u32(c.num_hidden_layers)],
    [`${arch}.context_length`, gguf.u32(c.max_position_embeddings)],
    [`${arch}.embedding_length`, gguf.u32(c.hidden_size)],
    [`${arch}.feed_forward_length`, gguf.u32(c.intermediate_size)],
    [`${arch}.attention.head_count`, gguf.u32(c.num_attention_heads)],
    [`${arch}.attention.head_count_kv`, gguf.u32(headCountKv)],
    [`${arch}.rope.freq_base`, gguf.f32(c.rope_theta)],
    [`${arch}.attention.layer_norm_rms_epsilon`, gguf.f32(c.rms_norm_eps)],
  ];
}
