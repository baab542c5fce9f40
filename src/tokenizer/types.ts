/**
 * The tokenizer interface the rest of the project codes against (training, inference, serving,
 * data). It is deliberately small: ids in, text out, plus the few special ids a model needs.
 */

/** Options of Tokenizer.encode. */
export interface EncodeOptions {
  /**
   * When true, added/special token text in the input (`<｜User｜>`, `<think>`, ...) becomes the added
   * token's id, matched as the Hugging Face tokenizers match added tokens. When false (the default),
   * such text is encoded as ordinary text, so user input cannot forge control tokens.
   */
  allowSpecial?: boolean;
}

/** An added token as declared in tokenizer.json `added_tokens`. */
export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
}

/** A loaded tokenizer. Lone UTF-16 surrogates in the input are encoded as U+FFFD (deliberate). */
export interface Tokenizer {
  /** One more than the largest id (vocabulary plus added tokens): the embedding size needed. */
  readonly vocabSize: number;
  readonly bosId: number | undefined;
  readonly eosId: number | undefined;
  readonly padId: number | undefined;
  readonly addedTokens: readonly AddedToken[];
  /** The Jinja chat template from tokenizer_config.json, if any. */
  readonly chatTemplate: string | undefined;
  /** Special token strings from tokenizer_config.json (bos_token, eos_token, pad_token). */
  readonly specialTokens: { bos?: string; eos?: string; pad?: string };
  encode(text: string, options?: EncodeOptions): number[];
  /** Text of the ids; added tokens appear as their text; invalid UTF-8 becomes U+FFFD. */
  decode(ids: ArrayLike<number>): string;
  /** Raw UTF-8 bytes of the ids (for streaming: a character may span tokens). */
  decodeBytes(ids: ArrayLike<number>): Uint8Array;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}
