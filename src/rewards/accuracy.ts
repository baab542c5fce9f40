/**
 * Accuracy reward (R1 paper 2.2.2): 1 when the task's exact verifier accepts the response's
 * answer (inside `<answer>`, else the text after `</think>`; src/tasks/registry.ts), else 0.
 */
import { isCorrect } from '../tasks/registry.js';
import type { RewardInput } from './types.js';

/** 1 for a verified answer, 0 otherwise (never throws). */
export function accuracyReward({ problem, response }: RewardInput): number {
  return isCorrect(problem, response) ? 1 : 0;
}
