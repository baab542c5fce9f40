/**
 * Format reward (R1 paper 2.2.2): 1 when the response is exactly `<think> reasoning </think>` then
 * `<answer> answer </answer>` (R1-Zero template, paper Table 1), else 0. Strict: one tag of each
 * kind, in that order, non-empty reasoning and answer, only whitespace before `<think>`, between
 * `</think>` and `<answer>` and after `</answer>` (up to an optional EOS). A chat prompt (task
 * `chat`, nothing to answer) asks for the reply layout instead (reply-format.ts).
 */
import { ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';
import { CHAT_TASK } from '../tasks/chat.js';
import { replyFormat } from './reply-format.js';
import { beforeEos, blankBetween, countOf } from './text.js';
import type { RewardInput } from './types.js';

/** 1 for a strictly formatted response, 0 otherwise. */
export function formatReward({ problem, response }: RewardInput): number {
  if (problem.task === CHAT_TASK) return replyFormat(response);
  const text = beforeEos(response);
  for (const tag of [THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE]) if (countOf(text, tag) !== 1) return 0;
  const t0 = text.indexOf(THINK_OPEN),
    t1 = text.indexOf(THINK_CLOSE);
  const a0 = text.indexOf(ANSWER_OPEN),
    a1 = text.indexOf(ANSWER_CLOSE);
  if (!(t0 < t1 && t1 < a0 && a0 < a1)) return 0;
  if (
    !blankBetween(text, 0, t0) ||
    !blankBetween(text, t1 + THINK_CLOSE.length, a0) ||
    !blankBetween(text, a1 + ANSWER_CLOSE.length, text.length)
  )
    return 0;
  if (blankBetween(text, t0 + THINK_OPEN.length, t1) || blankBetween(text, a0 + ANSWER_OPEN.length, a1)) return 0;
  return 1;
}
