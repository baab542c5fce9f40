/**
 * DeepSeek-V3's pre-tokenization, as declared in its tokenizer.json: a Sequence of three `Split`
 * pre-tokenizers with behaviour `Isolated` (digits in runs of 1-3, CJK/kana runs, then a GPT-style
 * word/punctuation/whitespace regex), followed by `ByteLevel` without its own regex. The trainer
 * uses this to cut text into words; the saved tokenizer.json declares the same patterns, so the
 * Hugging Face loaders cut identically (tested against @lenml/tokenizers).
 */

/** The three Split regexes of DeepSeek-V3's tokenizer.json, in order (Hugging Face / Rust syntax). */
export const DEEPSEEK_SPLIT_PATTERNS: readonly string[] = [
  '\\p{N}{1,3}',
  '[一-龥぀-ゟ゠-ヿ]+',
  '[!"#$%&\'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ' +
    '?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+',
];

/** DeepSeek's patterns with every digit its own piece (Llama/Qwen-style digit splitting). */
export const SINGLE_DIGIT_SPLIT_PATTERNS: readonly string[] = ['\\p{N}', ...DEEPSEEK_SPLIT_PATTERNS.slice(1)];

/** Compiles Split patterns for JavaScript (`u` flag for \p{...}; `g` for matchAll). */
export function compileSplitPatterns(patterns: readonly string[]): RegExp[] {
  return patterns.map((p, i) => {
    try {
      return new RegExp(p, 'gu');
    } catch (err) {
      throw new Error(`split pattern ${i} (${JSON.stringify(p)}) is not a valid JavaScript regex: ${String(err)}`);
    }
  });
}

/** Splits `text` on `re`, keeping the matches and the text between them (HF behaviour `Isolated`). */
export function splitIsolated(text: string, re: RegExp, out: string[]): void {
  let prev = 0;
  for (const m of text.matchAll(re)) {
    const idx = m.index!;
    if (prev < idx) out.push(text.slice(prev, idx));
    if (m[0].length > 0) out.push(m[0]);
    prev = idx + m[0].length;
  }
  if (prev < text.length) out.push(text.slice(prev));
}

/** Applies each Split pattern in turn to every piece of the previous one; returns the words. */
export function preTokenize(text: string, regexes: readonly RegExp[]): string[] {
  let pieces = [text];
  for (const re of regexes) {
    const next: string[] = [];
    for (const p of pieces) splitIsolated(p, re, next);
    pieces = next;
  }
  return pieces;
}
