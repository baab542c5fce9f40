/**
 * Reflection phrases (R1 paper 2.2.4, the "aha moment": the model learns to re-evaluate its steps;
 * the paper tracks words such as "wait", "verify", "check" over training). Counted case-insensitively
 * in English with word boundaries, and their Chinese counterparts, in one pass of one regex (no
 * nested quantifiers, so linear time).
 */

const PHRASES =
  String.raw`\b(?:wait|let me check|let me verify|re-?check(?:ing|ed)?|verif(?:y|ies|ied|ying)|double-check)\b` +
  '|等等|等一下|让我检查|检查一下|重新检查|验证';

/** Occurrences of reflection phrases in `text`. */
export function reflectionCount(text: string): number {
  let n = 0;
  const re = new RegExp(PHRASES, 'gi');
  while (re.exec(text) !== null) n++;
  return n;
}
