/**
 * Language-consistency reward (R1 paper 2.3.2): the share of the reasoning's words that are in the
 * prompt's language. Words are counted in one pass: a run of Latin letters is one English word,
 * each Han character is one Chinese word, a run of letters of any other script is one foreign word;
 * digits, symbols and tags are not words. A response with no reasoning or no words scores 0 (there
 * is nothing to be consistent with, and an empty chain of thought should not be paid). A chat
 * reply has no chain of thought to speak of (src/tasks/chat.ts), so there the reply's words count.
 */
import { parseCompletion } from '../tokenizer/chat.js';
import { CHAT_TASK } from '../tasks/chat.js';
import type { Lang } from '../tasks/types.js';
import type { RewardInput } from './types.js';

/** Word counts by script. */
export interface WordCounts {
  en: number;
  zh: number;
  other: number;
}

const LETTER = /\p{L}/u;
const HAN = /\p{Script=Han}/u;

function isLatinLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7);
}

/** Counts English words, Chinese characters and other-script words of `text`. */
export function countWords(text: string): WordCounts {
  const out: WordCounts = { en: 0, zh: 0, other: 0 };
  let run: 'en' | 'other' | null = null;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (isLatinLetter(c)) {
      if (run !== 'en') {
        out.en++;
        run = 'en';
      }
      continue;
    }
    if (c < 0x80) {
      run = null;
      continue;
    }
    if (HAN.test(ch)) {
      out.zh++;
      run = null;
      continue;
    }
    if (LETTER.test(ch)) {
      if (run !== 'other') {
        out.other++;
        run = 'other';
      }
      continue;
    }
    run = null;
  }
  return out;
}

/** Share of `text`'s words in `lang` (0 when it has none). */
export function languageShare(text: string, lang: Lang): number {
  const w = countWords(text);
  const total = w.en + w.zh + w.other;
  return total === 0 ? 0 : w[lang] / total;
}

/** Share of the reasoning's words in the prompt's language, in [0, 1]. */
export function languageConsistencyReward({ problem, response }: RewardInput): number {
  const c = parseCompletion(response);
  return languageShare(problem.task === CHAT_TASK ? `${c.reasoning} ${c.answer}` : c.reasoning, problem.lang);
}
