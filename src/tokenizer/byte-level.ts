/**
 * GPT-2 byte-level alphabet: every byte 0..255 maps to one printable code point, so a BPE vocabulary
 * over bytes can be stored as JSON strings (space is `Ġ`, newline is `Ċ`). This is the mapping the
 * Hugging Face `ByteLevel` pre-tokenizer and decoder use (tokenizers/src/pre_tokenizers/byte_level.rs).
 */

/** Byte value -> its printable stand-in character, index 0..255. */
export function byteToUnicodeTable(): string[] {
  const table = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
    table[b] = String.fromCodePoint(printable ? b : 256 + extra++);
  }
  return table;
}

/** Inverse of byteToUnicodeTable: stand-in character -> byte value. */
export function unicodeToByteMap(): Map<string, number> {
  const m = new Map<string, number>();
  byteToUnicodeTable().forEach((ch, b) => m.set(ch, b));
  return m;
}

/** UTF-8 bytes of `text` written as byte-level characters. Lone surrogates become U+FFFD first. */
export function toByteLevel(text: string, table: readonly string[], encoder: TextEncoder): string {
  const bytes = encoder.encode(text);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += table[bytes[i]!]!;
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replaces lone UTF-16 surrogates with U+FFFD, as UTF-8 encoding (and HF's Rust strings) must. */
export function toWellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, '\uFFFD');
}
