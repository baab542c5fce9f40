/**
 * Length reward: DAPO's soft overlong punishment (Yu et al. 2025, eq. 13), the length term of the
 * final RL stage's reward mix (R1 paper 2.3.4 rewards readability and helpfulness beyond accuracy;
 * a response that runs into the token limit is neither). With L the completion's tokens, L_max the
 * budget and L_cache = L_max / 4 the buffer: 0 while L <= L_max - L_cache, then falling linearly to
 * -1 at L_max (and -1 past it). The budget is the run's max_completion_length, or CHAT_REPLY_TOKENS
 * for chat prompts (a greeting wants a short reply, paper 2.3.3). Without token counts in the input
 * (scoring saved text offline) the reward is 0.
 */
import { CHAT_TASK } from '../tasks/chat.js';
import type { RewardInput } from './types.js';

/** Token budget of a reply to a chat prompt. */
export const CHAT_REPLY_TOKENS = 128;

/** The soft overlong punishment of a completion of `tokens` tokens under budget `maxTokens`, in [-1, 0]. */
export function overlongPenalty(tokens: number, maxTokens: number): number {
  const cache = maxTokens / 4,
    free = maxTokens - cache;
  if (tokens <= free) return 0;
  if (tokens >= maxTokens) return -1;
  return (free - tokens) / cache;
}

/** The length reward of one response (0 when its token counts are unknown). */
export function lengthReward({ problem, completionTokens, maxCompletionTokens }: RewardInput): number {
  if (completionTokens === undefined || maxCompletionTokens === undefined || !(maxCompletionTokens > 0)) return 0;
  const budget = problem.task === CHAT_TASK ? Math.min(CHAT_REPLY_TOKENS, maxCompletionTokens) : maxCompletionTokens;
  return overlongPenalty(completionTokens, budget);
}
