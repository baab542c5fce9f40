/**
 * The DeepSeek-R1 special and added tokens this project uses. The spellings (full-width bars `｜`
 * and `▁` for spaces) are DeepSeek's own, from the V3/R1 tokenizer.json, so prompts rendered here
 * read the same as the released models' prompts.
 */

export const BOS = '<｜begin▁of▁sentence｜>';
export const EOS = '<｜end▁of▁sentence｜>';
export const PAD = '<｜▁pad▁｜>';
export const USER = '<｜User｜>';
export const ASSISTANT = '<｜Assistant｜>';
export const THINK_OPEN = '<think>';
export const THINK_CLOSE = '</think>';
export const ANSWER_OPEN = '<answer>';
export const ANSWER_CLOSE = '</answer>';

/** One added token of a trained tokenizer; `special` follows R1 (only BOS/EOS/pad are special). */
export interface AddedTokenSpec {
  content: string;
  special: boolean;
}

/** The added tokens a tokenizer trained here carries, in id order after the BPE vocabulary. */
export const R1_ADDED_TOKENS: readonly AddedTokenSpec[] = [
  { content: BOS, special: true },
  { content: EOS, special: true },
  { content: PAD, special: true },
  { content: USER, special: false },
  { content: ASSISTANT, special: false },
  { content: THINK_OPEN, special: false },
  { content: THINK_CLOSE, special: false },
  { content: ANSWER_OPEN, special: false },
  { content: ANSWER_CLOSE, special: false },
];
