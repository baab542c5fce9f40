/**
 * Reply-format check for chat prompts (R1 paper 2.3.3: a simple query such as "hello" is answered
 * without a chain of thought): the response is a think block, empty or short, then a non-empty
 * plain reply, and nothing else: no `<answer>` tags (there is nothing to extract), one think block,
 * only whitespace before it. The format reward (format.ts) applies it to problems of task `chat`.
 */
import { ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';
import { beforeEos, blankBetween, countOf } from './text.js';

/** 1 when `response` is `<think>...</think>` then a non-empty untagged reply, else 0. */
export function replyFormat(response: string): number {
  const text = beforeEos(response);
  if (countOf(text, THINK_OPEN) !== 1 || countOf(text, THINK_CLOSE) !== 1) return 0;
  if (text.includes(ANSWER_OPEN) || text.includes(ANSWER_CLOSE)) return 0;
  const t0 = text.indexOf(THINK_OPEN),
    t1 = text.indexOf(THINK_CLOSE);
  if (t1 < t0 || !blankBetween(text, 0, t0)) return 0;
  return blankBetween(text, t1 + THINK_CLOSE.length, text.length) ? 0 : 1;
}
