/**
 * Tokenizer metadata for GGUF from a Hugging Face byte-level BPE `tokenizer.json`, as llama.cpp's
 * converter writes it (`_set_vocab_gpt2` in convert_hf_to_gguf.py) and its loader reads it
 * (llama-vocab.cpp): `tokenizer.ggml.model` "gpt2", `tokens` by id (ids the tokenizer does not
 * define, up to the model's vocab_size, become "[PAD{id}]" of type UNUSED), `token_type`
 * (1 normal, 3 control for special added tokens, 4 user-defined for other added tokens),
 * `merges` as "a b" strings, the bos/eos/pad ids and `tokenizer.ggml.pre`, the pre-tokenizer
 * llama.cpp applies before BPE, matched from the tokenizer.json pre_tokenizer by
 * src/tokenizer/gguf-vocab.ts ("deepseek-v3", "qwen2", "llama-bpe", "gpt-2").
 */
import { gguf, type GgufValue } from '../io/gguf-format.js';
import { preTokenizerName } from '../tokenizer/gguf-vocab.js';

const TOKEN_NORMAL = 1,
  TOKEN_CONTROL = 3,
  TOKEN_USER_DEFINED = 4,
  TOKEN_UNUSED = 5;

type Json = Record<string, unknown>;

function asObject(v: unknown, what: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new Error(`tokenizer.json: ${what} is ${JSON.stringify(v)?.slice(0, 80)}; expected an object`);
  return v as Json;
}

export { preTokenizerName };

/** Token ids for a tokenizer_config entry such as `bos_token` (string or {content}). */
function idOf(entry: unknown, ids: ReadonlyMap<string, number>): number | undefined {
  const content = typeof entry === 'string' ? entry : (entry as Json | null)?.content;
  return typeof content === 'string' ? ids.get(content) : undefined;
}

/** Special token ids for the GGUF; the tokenizer_config's tokens win over the model config's ids. */
export interface SpecialIds {
  readonly bos?: number | null;
  readonly eos?: number | readonly number[] | null;
}

/**
 * Builds the `tokenizer.*` metadata for a model of `vocabSize` tokens. Throws when the tokenizer
 * is not byte-level BPE or defines ids beyond vocabSize.
 */
export function ggufTokenizerMetadata(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  vocabSize: number,
  fallback: SpecialIds = {},
): Map<string, GgufValue> {
  const tj = asObject(tokenizerJson, 'the file');
  const model = asObject(tj.model, '"model"');
  if (model.type !== 'BPE')
    throw new Error(
      `tokenizer.json: model.type is ${JSON.stringify(model.type)}; expected "BPE" (byte-level BPE, llama.cpp "gpt2")`,
    );
  const tokens: (string | undefined)[] = new Array(vocabSize).fill(undefined);
  const types = new Array<number>(vocabSize).fill(TOKEN_UNUSED);
  const ids = new Map<string, number>();
  const put = (content: string, id: number, type: number): void => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new Error(
        `tokenizer.json: token ${JSON.stringify(content)} has id ${id}; expected 0 <= id < the model's vocab_size ${vocabSize}`,
      );
    }
    tokens[id] = content;
    types[id] = type;
    ids.set(content, id);
  };
  for (const [content, id] of Object.entries(asObject(model.vocab, 'model.vocab')))
    put(content, Number(id), TOKEN_NORMAL);
  for (const t of (tj.added_tokens as Json[] | undefined) ?? [])
    put(String(t.content), Number(t.id), t.special ? TOKEN_CONTROL : TOKEN_USER_DEFINED);
  const merges = ((model.merges as unknown[]) ?? []).map((m) => (Array.isArray(m) ? `${m[0]} ${m[1]}` : String(m)));
  const cfg = (tokenizerConfig ?? {}) as Json;
  const meta = new Map<string, GgufValue>([
    ['tokenizer.ggml.model', gguf.str('gpt2')],
    ['tokenizer.ggml.pre', gguf.str(preTokenizerName(tj))],
    [
      'tokenizer.ggml.tokens',
      gguf.arr(
        'string',
        tokens.map((t, i) => t ?? `[PAD${i}]`),
      ),
    ],
    ['tokenizer.ggml.token_type', gguf.arr('i32', types)],
    ['tokenizer.ggml.merges', gguf.arr('string', merges)],
  ]);
  const firstId = (v: number | readonly number[] | null | undefined): number | undefined =>
    Array.isArray(v) ? v[0] : ((v as number | null | undefined) ?? undefined);
  const bos = idOf(cfg.bos_token, ids) ?? firstId(fallback.bos);
  const eos = idOf(cfg.eos_token, ids) ?? firstId(fallback.eos);
  const pad = idOf(cfg.pad_token, ids);
  if (bos !== undefined) meta.set('tokenizer.ggml.bos_token_id', gguf.u32(bos));
  if (eos !== undefined) meta.set('tokenizer.ggml.eos_token_id', gguf.u32(eos));
  if (pad !== undefined) meta.set('tokenizer.ggml.padding_token_id', gguf.u32(pad));
  meta.set('tokenizer.ggml.add_bos_token', gguf.bool(cfg.add_bos_token === true));
  meta.set('tokenizer.ggml.add_eos_token', gguf.bool(cfg.add_eos_token === true));
  if (typeof cfg.chat_template === 'string') meta.set('tokenizer.chat_template', gguf.str(cfg.chat_template));
  return meta;
}
