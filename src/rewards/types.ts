/**
 * What a rule-based reward is (R1 paper 2.2.2: no neural reward model, only rules): a pure function
 * of the problem and the model's full response, returning a number. "Full response" means the text
 * the assistant produced including any part the template opened for it (the R1 chat layout ends the
 * prompt with `<think>\n`, so the trainer prepends that before scoring); a trailing EOS may be there.
 */
import type { Problem } from '../tasks/types.js';

/** One scored response. */
export interface RewardInput {
  problem: Problem;
  /** The assistant's response, starting at `<think>` when the model followed the format. */
  response: string;
  /** Tokens the model generated for this response (the length reward needs them). */
  completionTokens?: number;
  /** The run's token limit per completion. */
  maxCompletionTokens?: number;
}

/** A rule-based reward: pure, never throws, linear time in the response length. */
export type RewardFn = (input: RewardInput) => number;
