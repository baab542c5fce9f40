/**
 * Loads a Hugging Face `tokenizer.json` (+ optional `tokenizer_config.json`) through
 * @lenml/tokenizers (a dependency-free fork of transformers.js' tokenizers, which implements the HF
 * normalizers, pre-tokenizers, BPE model, added-token matching and decoders) and exposes it as our
 * small `Tokenizer` interface. What is ours: the `allowSpecial: false` path (encode special-token
 * text as text, which HF tokenizers cannot do), byte-exact `decodeBytes` for streaming, and
 * deliberate handling of lone surrogates (encoded as U+FFFD, as HF's Rust tokenizers do).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { TokenizerLoader } from '@lenml/tokenizers';
import { toWellFormed, unicodeToByteMap } from './byte-level.js';
import type { AddedToken, EncodeOptions, Tokenizer } from './types.js';

/** The parts of a @lenml/tokenizers PreTrainedTokenizer this wrapper relies on. */
interface LenmlTokenizer {
  normalizer: ((text: string) => string) | null;
  pre_tokenizer: ((text: string, options?: object) => string[]) | null;
  model: ((words: string[]) => string[]) & {
    convert_tokens_to_ids(tokens: string[]): number[];
    tokens_to_ids: Map<string, number>;
    vocab: string[];
  };
  encode(text: string, options: { add_special_tokens: boolean }): number[];
  decode(ids: number[], options: { skip_special_tokens: boolean; clean_up_tokenization_spaces: boolean }): string;
}

type Json = Record<string, unknown>;

function readJson(path: string, what: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Json;
  } catch (err) {
    throw new Error(`${what}: ${path} is not valid JSON: ${(err as Error).message}`);
  }
}

function tokenString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null && typeof (v as Json).content === 'string')
    return (v as Json).content as string;
  return undefined;
}

function isByteLevelDecoder(decoder: unknown): boolean {
  if (typeof decoder !== 'object' || decoder === null) return false;
  const d = decoder as Json;
  if (d.type === 'ByteLevel') return true;
  return d.type === 'Sequence' && Array.isArray(d.decoders) && d.decoders.some(isByteLevelDecoder);
}

/** A Hugging Face tokenizer behind the project's Tokenizer interface. */
export class HfTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly padId: number | undefined;
  readonly addedTokens: readonly AddedToken[];
  readonly chatTemplate: string | undefined;
  readonly specialTokens: { bos?: string; eos?: string; pad?: string };
  private readonly inner: LenmlTokenizer;
  private readonly addedById: Map<number, AddedToken>;
  private readonly byteOf: Map<string, number> | undefined;
  private readonly plainTextSupported: boolean;
  private readonly utf8 = new TextEncoder();

  /** Builds from parsed tokenizer.json and tokenizer_config.json objects. */
  constructor(tokenizerJson: Json, tokenizerConfig: Json = {}) {
    const config: Json = { tokenizer_class: 'PreTrainedTokenizerFast', ...tokenizerConfig };
    this.inner = TokenizerLoader.fromPreTrained({
      tokenizerJSON: tokenizerJson as never,
      tokenizerConfig: config as never,
    }) as unknown as LenmlTokenizer;
    const added = (tokenizerJson.added_tokens ?? []) as Array<{ id: number; content: string; special?: boolean }>;
    this.addedTokens = added.map((t) => ({ id: t.id, content: t.content, special: t.special === true }));
    this.addedById = new Map(this.addedTokens.map((t) => [t.id, t]));
    let maxId = this.inner.model.vocab.length - 1;
    for (const t of this.addedTokens) maxId = Math.max(maxId, t.id);
    this.vocabSize = maxId + 1;
    this.chatTemplate = typeof config.chat_template === 'string' ? config.chat_template : undefined;
    this.specialTokens = {
      bos: tokenString(config.bos_token),
      eos: tokenString(config.eos_token),
      pad: tokenString(config.pad_token) ?? tokenString(config.eos_token),
    };
    const id = (t: string | undefined) => (t === undefined ? undefined : this.tokenToId(t));
    this.bosId = id(this.specialTokens.bos);
    this.eosId = id(this.specialTokens.eos);
    this.padId = id(this.specialTokens.pad);
    this.byteOf = isByteLevelDecoder(tokenizerJson.decoder) ? unicodeToByteMap() : undefined;
    const legacyLlama = /^LlamaTokenizer/.test(String(config.tokenizer_class)) && config.legacy === false;
    this.plainTextSupported = !legacyLlama && !config.remove_space && !config.do_lowercase_and_remove_accent;
  }

  encode(text: string, options: EncodeOptions = {}): number[] {
    if (typeof text !== 'string') throw new Error(`encode: text must be a string, got ${typeof text}`);
    const s = toWellFormed(text);
    if (options.allowSpecial === true) return this.inner.encode(s, { add_special_tokens: false });
    if (!this.plainTextSupported) {
      throw new Error(
        'encode: allowSpecial=false is not supported for this tokenizer_config (legacy=false Llama, remove_space or lowercasing)',
      );
    }
    if (s.length === 0) return [];
    const normalized = this.inner.normalizer ? this.inner.normalizer(s) : s;
    const words = this.inner.pre_tokenizer ? this.inner.pre_tokenizer(normalized, { section_index: 0 }) : [normalized];
    return this.inner.model.convert_tokens_to_ids(this.inner.model(words));
  }

  decode(ids: ArrayLike<number>): string {
    if (this.byteOf) return new TextDecoder().decode(this.decodeBytes(ids));
    return this.inner.decode(Array.from(ids), { skip_special_tokens: false, clean_up_tokenization_spaces: false });
  }

  decodeBytes(ids: ArrayLike<number>): Uint8Array {
    if (!this.byteOf) return this.utf8.encode(this.decode(ids));
    const out: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const added = this.addedById.get(id);
      if (added) {
        for (const b of this.utf8.encode(added.content)) out.push(b);
        continue;
      }
      const tok = this.inner.model.vocab[id];
      if (tok === undefined)
        throw new Error(`decode: token id ${id} at position ${i} is outside the vocabulary (size ${this.vocabSize})`);
      for (const ch of tok) {
        const b = this.byteOf.get(ch);
        if (b === undefined)
          throw new Error(
            `decode: token ${id} (${JSON.stringify(tok)}) has character ${JSON.stringify(ch)} outside the byte-level alphabet`,
          );
        out.push(b);
      }
    }
    return Uint8Array.from(out);
  }

  tokenToId(token: string): number | undefined {
    return this.inner.model.tokens_to_ids.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedById.get(id)?.content ?? this.inner.model.vocab[id];
  }
}

/**
 * Loads a tokenizer from a tokenizer.json path or a folder holding one; tokenizer_config.json next
 * to it is read when present.
 */
export function loadTokenizer(path: string): HfTokenizer {
  let jsonPath = path;
  try {
    if (statSync(path).isDirectory()) jsonPath = join(path, 'tokenizer.json');
  } catch {
    throw new Error(`tokenizer: ${path} does not exist (expected a tokenizer.json file or a folder holding one)`);
  }
  const tj = readJson(jsonPath, 'tokenizer');
  const configPath = join(dirname(jsonPath), 'tokenizer_config.json');
  let config: Json = {};
  try {
    statSync(configPath);
    config = readJson(configPath, 'tokenizer config');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return new HfTokenizer(tj, config);
}
