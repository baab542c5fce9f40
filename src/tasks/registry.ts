/**
 * The tasks by name, and the glue every consumer needs: score a whole completion (extract the
 * <answer>, then verify) without ever throwing.
 */
import { parseCompletion } from '../tokenizer/chat.js';
import { arithmetic } from './arithmetic.js';
import { countdown } from './countdown.js';
import { direct } from './direct.js';
import { linear } from './linear.js';
import { offTask } from './off-task.js';
import type { Problem, Task } from './types.js';
import { wordProblems } from './word-problems.js';

/** The reasoning tasks (the corpus of `data build`, the held-out evaluations), in a fixed order. */
export const TASKS: readonly Task[] = [countdown, arithmetic, linear, wordProblems];

/**
 * Tasks outside the reasoning corpus: the direct-answer queries of R1's general data, and the
 * off-task questions whose one right answer is the honest "I only solve arithmetic and countdown".
 */
export const GENERAL_TASKS: readonly Task[] = [direct, offTask];

/** The task named `name` (reasoning or general); throws with the list of known names otherwise. */
export function getTask(name: string): Task {
  const all = [...TASKS, ...GENERAL_TASKS];
  const t = all.find((x) => x.name === name);
  if (!t) throw new Error(`unknown task ${JSON.stringify(name)}; expected one of ${all.map((x) => x.name).join(', ')}`);
  return t;
}

/** True when the completion's answer (inside <answer>, else after </think>) verifies. */
export function isCorrect(problem: Problem, completion: string): boolean {
  try {
    const { answer } = parseCompletion(completion);
    return getTask(problem.task).verify(problem, answer);
  } catch {
    return false;
  }
}
