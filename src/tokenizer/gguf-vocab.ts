/**
 * Byte-level BPE tokenizers in GGUF and back: the pre-tokenizer types llama.cpp knows
 * (`tokenizer.ggml.pre`, llama-vocab.cpp) matched to the Hugging Face tokenizer.json
 * pre-tokenizers that split the same way, and the tokenizer.json + tokenizer_config.json objects
 * rebuilt from a GGUF's `tokenizer.*` metadata (tokens by id, token types, merges, special ids,
 * chat template), so a GGUF model tokenizes with the same HfTokenizer as a Hugging Face folder.
 *
 * Pre-tokenizers:
 * - "deepseek-v3": DeepSeek-V3's three Split regexes, ByteLevel without its own regex.
 * - "qwen2" (also written "deepseek-r1-qwen" by llama.cpp's converter for the R1-Distill-Qwen
 *   models): Qwen2's single Split regex with NFC normalization, ByteLevel without regex.
 * - "llama-bpe": Llama 3's Split regex (digits in runs of up to three), ByteLevel without regex.
 * - "gpt-2": a plain ByteLevel pre-tokenizer with GPT-2's built-in regex.
 */
import { HfTokenizer } from './hf-tokenizer.js';
import { DEEPSEEK_SPLIT_PATTERNS } from './pretokenize.js';
import { bpeModel } from './tokenizer-json.js';

type Json = Record<string, unknown>;

/** Qwen2's pre-tokenizer regex (tokenizer.json of Qwen2 / Qwen2.5 / Qwen3 and R1-Distill-Qwen). */
export const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/** Llama 3's pre-tokenizer regex. */
export const LLAMA3_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

interface PreTokenizerType {
  /** llama.cpp's `tokenizer.ggml.pre` names (the first is written on export). */
  readonly names: readonly string[];
  /** Split regexes (Isolated), in order; none for "gpt-2". */
  readonly patterns: readonly string[];
  /** Whether the ByteLevel step applies GPT-2's regex itself. */
  readonly byteLevelRegex: boolean;
  readonly normalizer: Json | null;
}

const TYPES: readonly PreTokenizerType[] = [
  { names: ['deepseek-v3'], patterns: DEEPSEEK_SPLIT_PATTERNS, byteLevelRegex: false, normalizer: null },
  {
    names: ['qwen2', 'deepseek-r1-qwen'],
    patterns: [QWEN2_SPLIT_PATTERN],
    byteLevelRegex: false,
    normalizer: { type: 'NFC' },
  },
  { names: ['llama-bpe'], patterns: [LLAMA3_SPLIT_PATTERN], byteLevelRegex: false, normalizer: null },
  { names: ['gpt-2'], patterns: [], byteLevelRegex: true, normalizer: null },
];

/** The Split regexes a tokenizer.json pre_tokenizer declares, and whether it ends in a ByteLevel with its regex. */
function splitPatterns(pre: unknown): { patterns: string[]; byteLevelRegex: boolean } {
  const p = pre as Json | null;
  const list = p?.type === 'Sequence' ? ((p.pretokenizers as Json[]) ?? []) : p ? [p] : [];
  const patterns: string[] = [];
  let byteLevelRegex = false;
  for (const item of list) {
    if (item.type === 'Split') {
      const pat = item.pattern as Json;
      patterns.push(String(pat.Regex ?? pat.String));
    } else if (item.type === 'ByteLevel') {
      byteLevelRegex = item.use_regex !== false;
    }
  }
  return { patterns, byteLevelRegex };
}

/** llama.cpp's `tokenizer.ggml.pre` name for a tokenizer.json pre_tokenizer; throws for unknown ones. */
export function preTokenizerName(tokenizerJson: Json): string {
  const { patterns, byteLevelRegex } = splitPatterns(tokenizerJson.pre_tokenizer);
  for (const t of TYPES) {
    if (
      t.byteLevelRegex === byteLevelRegex &&
      t.patterns.length === patterns.length &&
      t.patterns.every((x, i) => x === patterns[i])
    )
      return t.names[0]!;
  }
  throw new Error(
    `tokenizer.json: pre_tokenizer (${patterns.length} Split patterns, ByteLevel regex ${byteLevelRegex}) ` +
      `matches no llama.cpp pre-tokenizer this project maps; known: ${TYPES.map((t) => t.names[0]).join(', ')}`,
  );
}

/** The tokenizer.json pre_tokenizer and normalizer for a `tokenizer.ggml.pre` name; throws for unknown ones. */
export function preTokenizerOf(name: string, source: string): { pre_tokenizer: Json; normalizer: Json | null } {
  const t = TYPES.find((x) => x.names.includes(name));
  if (t === undefined)
    throw new Error(
      `${source}: tokenizer.ggml.pre is ${JSON.stringify(name)}; this project maps ${TYPES.flatMap((x) => x.names).join(', ')}`,
    );
  return {
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...t.patterns.map((p) => ({ type: 'Split', pattern: { Regex: p }, behavior: 'Isolated', invert: false })),
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: t.byteLevelRegex },
      ],
    },
    normalizer: t.normalizer,
  };
}

const TOKEN_NORMAL = 1,
  TOKEN_CONTROL = 3,
  TOKEN_USER_DEFINED = 4;

type Meta = ReadonlyMap<string, { readonly value: unknown }>;

/**
 * tokenizer.json and tokenizer_config.json objects from a GGUF's metadata (llama.cpp "gpt2"
 * byte-level BPE). Normal tokens form the BPE vocabulary, control and user-defined ones become
 * added tokens (control = special), unused padding ids are left out.
 */
export function tokenizerFromGguf(meta: Meta, source: string): { tokenizerJson: Json; tokenizerConfig: Json } {
  const model = meta.get('tokenizer.ggml.model')?.value;
  if (model !== 'gpt2')
    throw new Error(
      `${source}: tokenizer.ggml.model is ${JSON.stringify(model)}; expected "gpt2" (byte-level BPE, as Qwen2, Llama 3 and DeepSeek use)`,
    );
  const tokens = meta.get('tokenizer.ggml.tokens')?.value as string[] | undefined;
  if (!Array.isArray(tokens)) throw new Error(`${source}: tokenizer.ggml.tokens is missing`);
  const types = (meta.get('tokenizer.ggml.token_type')?.value as number[] | undefined) ?? [];
  const merges = (meta.get('tokenizer.ggml.merges')?.value as string[] | undefined) ?? [];
  const vocab: Record<string, number> = {};
  const added: Json[] = [];
  tokens.forEach((content, id) => {
    const type = types[id] ?? TOKEN_NORMAL;
    if (type === TOKEN_NORMAL) vocab[content] = id;
    else if (type === TOKEN_CONTROL || type === TOKEN_USER_DEFINED)
      added.push({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: type === TOKEN_CONTROL,
      });
  });
  const pre = preTokenizerOf(String(meta.get('tokenizer.ggml.pre')?.value ?? 'gpt-2'), source);
  const tokenizerJson: Json = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: pre.normalizer,
    pre_tokenizer: pre.pre_tokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: bpeModel(vocab, merges),
  };
  const tok = (key: string): string | undefined => {
    const id = meta.get(key)?.value;
    return typeof id === 'number' ? tokens[id] : undefined;
  };
  const template = meta.get('tokenizer.chat_template')?.value;
  const tokenizerConfig: Json = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_bos_token: meta.get('tokenizer.ggml.add_bos_token')?.value === true,
    add_eos_token: meta.get('tokenizer.ggml.add_eos_token')?.value === true,
    bos_token: tok('tokenizer.ggml.bos_token_id') ?? null,
    eos_token: tok('tokenizer.ggml.eos_token_id') ?? null,
    pad_token: tok('tokenizer.ggml.padding_token_id') ?? null,
    clean_up_tokenization_spaces: false,
    ...(typeof template === 'string' ? { chat_template: template } : {}),
  };
  return { tokenizerJson, tokenizerConfig };
}

/** A GGUF file's tokenizer, and the stop ids its metadata declares (eos, eot). */
export function ggufTokenizer(meta: Meta, source: string): { tokenizer: HfTokenizer; stopIds: number[] } {
  const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(meta, source);
  const stopIds = ['tokenizer.ggml.eos_token_id', 'tokenizer.ggml.eot_token_id']
    .map((k) => meta.get(k)?.value)
    .filter((v): v is number => typeof v === 'number');
  return { tokenizer: new HfTokenizer(tokenizerJson, tokenizerConfig), stopIds };
}
