/**
 * Serialises a trained byte-level BPE as Hugging Face `tokenizer.json` + `tokenizer_config.json`,
 * laid out like DeepSeek-V3's own files (Split x3 + ByteLevel pre-tokenizer, BPE model, ByteLevel
 * decoder), so transformers' PreTrainedTokenizerFast and @lenml/tokenizers load them unchanged.
 * Merges use the classic "a b" string form: byte-level tokens never contain a space.
 */
import { writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { R1_CHAT_TEMPLATE } from './chat.js';
import { BOS, EOS, PAD, type AddedTokenSpec } from './special-tokens.js';

/** Builds the tokenizer.json object; added tokens take ids after the BPE vocabulary. */
export function buildTokenizerJson(
  vocab: readonly string[],
  merges: ReadonlyArray<readonly [string, string]>,
  added: readonly AddedTokenSpec[],
  splitPatterns: readonly string[],
): Record<string, unknown> {
  const vocabObj: Record<string, number> = {};
  vocab.forEach((t, i) => (vocabObj[t] = i));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map((t, i) => ({
      id: vocab.length + i,
      content: t.content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: t.special,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        ...splitPatterns.map((p) => ({ type: 'Split', pattern: { Regex: p }, behavior: 'Isolated', invert: false })),
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: bpeModel(
      vocabObj,
      merges.map(([a, b]) => `${a} ${b}`),
    ),
  };
}

/** The tokenizer_config.json for a tokenizer trained here: R1 special tokens and chat template. */
export function buildTokenizerConfig(modelMaxLength: number): Record<string, unknown> {
  return {
    tokenizer_class: 'PreTrainedTokenizerFast',
    add_bos_token: false,
    add_eos_token: false,
    bos_token: BOS,
    eos_token: EOS,
    pad_token: PAD,
    unk_token: null,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    chat_template: R1_CHAT_TEMPLATE,
  };
}

/** Writes `value` as JSON to `path` atomically (temp file + rename). */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(tmp, path);
}

/** Saves tokenizer.json and tokenizer_config.json into `dir` (created if missing). */
export function saveTokenizer(dir: string, tokenizerJson: unknown, config: unknown): void {
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'tokenizer.json'), tokenizerJson);
  writeJsonAtomic(join(dir, 'tokenizer_config.json'), config);
}

/** tokenizer.json's `model` for a byte-level BPE: the vocabulary and its merges ("a b"), no unknown token. */
export function bpeModel(vocab: Record<string, number>, merges: readonly string[]): Record<string, unknown> {
  return {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: null,
    end_of_word_suffix: null,
    fuse_unk: false,
    byte_fallback: false,
    ignore_merges: false,
    vocab,
    merges,
  };
}
