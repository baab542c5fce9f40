/**
 * Reduces training text to a table of unique pre-tokenized words and their counts, the input of
 * BPE training. Added-token text (`<think>`, `<｜User｜>`, ...) is cut out first, exactly as the
 * encoder matches it, so no merge is ever spent on spelling a control token.
 */
import { byteToUnicodeTable, toByteLevel, toWellFormed } from './byte-level.js';
import { compileSplitPatterns, preTokenize } from './pretokenize.js';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Counts words of added text; `table()` returns byte-level words with their frequencies. */
export class WordCounter {
  private readonly counts = new Map<string, number>();
  private readonly regexes: RegExp[];
  private readonly addedSplit: RegExp | undefined;
  private chars = 0;

  constructor(splitPatterns: readonly string[], addedTokens: readonly string[] = []) {
    this.regexes = compileSplitPatterns(splitPatterns);
    const sorted = [...addedTokens].sort((x, y) => y.length - x.length).map(escapeRegex);
    this.addedSplit = sorted.length > 0 ? new RegExp(sorted.join('|'), 'g') : undefined;
  }

  /** Number of UTF-16 code units added so far. */
  get charCount(): number {
    return this.chars;
  }

  /**
   * Adds one document (or any chunk that does not cut a word in two). With `plain`, added-token
   * spellings in it are ordinary text (a question as the prompt encoder encodes it).
   */
  add(text: string, plain = false): void {
    this.chars += text.length;
    const clean = toWellFormed(text);
    const sections = this.addedSplit && !plain ? clean.split(this.addedSplit) : [clean];
    for (const section of sections) {
      if (section.length === 0) continue;
      for (const w of preTokenize(section, this.regexes)) this.counts.set(w, (this.counts.get(w) ?? 0) + 1);
    }
  }

  /** Unique words as byte-level strings (sorted, for determinism) with their counts. */
  table(): { words: string[]; freqs: number[] } {
    const table = byteToUnicodeTable();
    const enc = new TextEncoder();
    const merged = new Map<string, number>();
    for (const [w, c] of this.counts) {
      const bl = toByteLevel(w, table, enc);
      merged.set(bl, (merged.get(bl) ?? 0) + c);
    }
    const words = [...merged.keys()].sort();
    return { words, freqs: words.map((w) => merged.get(w)!) };
  }
}
