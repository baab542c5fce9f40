/**
 * TinyZero's countdown reward (Pan et al. 2025, verl `countdown.compute_score`): 0 when the response
 * has no `<answer>...</answer>`, 0.1 ("format score") when the last tagged answer does not verify,
 * 1 when it does. Unlike the strict format reward, the tags need not be in a perfect layout; only the
 * last answer counts. Works with any task's verifier, countdown being the one it was made for.
 */
import { getTask } from '../tasks/registry.js';
import { ANSWER_CLOSE, ANSWER_OPEN } from '../tokenizer/special-tokens.js';
import { beforeEos } from './text.js';
import type { RewardInput } from './types.js';

/** TinyZero's format score for a tagged but wrong answer. */
export const TINYZERO_FORMAT_SCORE = 0.1;

/** The text of the last `<answer>...</answer>`, or null (linear time). */
export function lastTaggedAnswer(text: string): string | null {
  const close = text.lastIndexOf(ANSWER_CLOSE);
  if (close < 0) return null;
  const open = text.lastIndexOf(ANSWER_OPEN, close - ANSWER_OPEN.length);
  return open < 0 ? null : text.slice(open + ANSWER_OPEN.length, close).trim();
}

/** 0 / 0.1 / 1 as TinyZero scores countdown. */
export function tinyZeroReward({ problem, response }: RewardInput): number {
  const answer = lastTaggedAnswer(beforeEos(response));
  if (answer === null) return 0;
  let ok = false;
  try {
    ok = getTask(problem.task).verify(problem, answer);
  } catch {
    ok = false;
  }
  return ok ? 1 : TINYZERO_FORMAT_SCORE;
}
