/**
 * Readability of responses (R1 paper 2.3: R1-Zero's outputs "mix languages" and lack a readable
 * format; R1's cold start and language-consistency reward fix both). Two per-response checks that
 * the evaluation reports as rates and rejection sampling uses as filters:
 * - format violation: the response is not exactly `<think>...</think><answer>...</answer>`
 *   (the strict format reward of src/rewards/format.ts is 0);
 * - language mixing: the response's words (reasoning and answer, tags removed) include a word that
 *   is not in the prompt's language. Words are counted as src/rewards/language.ts counts them (a run
 *   of Latin letters is one English word, each Han character one Chinese word, other scripts one
 *   "other" word), except that one-letter Latin words are ignored: they are math variables (`x`)
 *   and appear in Chinese solutions too. A response with no words at all is not mixed.
 */
import { countWords } from '../rewards/language.js';
import { formatReward } from '../rewards/format.js';
import type { Lang, Problem } from '../tasks/types.js';
import { parseCompletion } from '../tokenizer/chat.js';

/** Words of `text` by language, one-letter Latin words left out. */
export function wordsByLanguage(text: string): { en: number; zh: number; other: number } {
  return countWords(text.replace(/(?<![A-Za-z\u00c0-\u024f])[A-Za-z](?![A-Za-z\u00c0-\u024f])/g, ' '));
}

/** True when the response has a word outside `lang` (see the file header). */
export function isLanguageMixed(response: string, lang: Lang): boolean {
  const p = parseCompletion(response);
  const w = wordsByLanguage(`${p.reasoning}\n${p.answer}`);
  return (lang === 'en' ? w.zh : w.en) + w.other > 0;
}

/** True when the response breaks the strict R1 format. */
export function isFormatViolation(problem: Problem, response: string): boolean {
  return formatReward({ problem, response }) !== 1;
}

/** Readability rates over responses to problems (each pair: problem, response). */
export function readabilityRates(pairs: readonly { problem: Problem; response: string }[]): {
  format_violation_rate: number;
  language_mixing_rate: number;
} {
  if (pairs.length === 0) return { format_violation_rate: NaN, language_mixing_rate: NaN };
  let fmt = 0,
    mix = 0;
  for (const { problem, response } of pairs) {
    if (isFormatViolation(problem, response)) fmt++;
    if (isLanguageMixed(response, problem.lang)) mix++;
  }
  return { format_violation_rate: fmt / pairs.length, language_mixing_rate: mix / pairs.length };
}
