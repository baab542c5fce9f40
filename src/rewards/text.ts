/**
 * Linear-time text helpers shared by the rewards: no regular expression with backtracking runs over
 * model output, so a huge or adversarial response costs one pass.
 */
import { EOS } from '../tokenizer/special-tokens.js';

/** The response up to its first EOS (generation stops there; anything after is not the answer). */
export function beforeEos(text: string): string {
  const at = text.indexOf(EOS);
  return at >= 0 ? text.slice(0, at) : text;
}

/** Number of non-overlapping occurrences of `needle` in `text`. */
export function countOf(text: string, needle: string): number {
  let n = 0;
  for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + needle.length)) n++;
  return n;
}

/** True when `text` holds only whitespace between `from` and `to`. */
export function blankBetween(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}
