/**
 * What a verifiable reasoning task is (R1 paper 2.2.2: rule-based accuracy rewards need tasks
 * whose answers can be checked exactly): a seeded generator of problems, a solver that writes a
 * correct step-by-step solution, and an exact verifier of an answer string.
 */
import type { Rng } from './rng.js';

/** Prompt language; the language-consistency reward measures the reasoning against it. */
export type Lang = 'en' | 'zh';
export const LANGS: readonly Lang[] = ['en', 'zh'];

/** One generated problem, serialisable as a JSONL line. */
export interface Problem {
  /** Task name, e.g. "countdown". */
  task: string;
  /** Canonical, language-free description; equal keys mean the same problem (used for splits). */
  key: string;
  lang: Lang;
  difficulty: number;
  prompt: string;
  /** Ground-truth answer in canonical form ("42", "-3/4", or for countdown a valid expression). */
  answer: string;
  /** Task-specific data the solver and verifier need (numbers, target, coefficients...). */
  data: Record<string, number | number[] | string>;
}

/** A worked solution: reasoning steps (each one line of the trace) and the final answer. */
export interface Solution {
  steps: string[];
  answer: string;
}

/** A verifiable task. */
export interface Task {
  readonly name: string;
  /** Difficulty levels accepted by generate, lowest first. */
  readonly difficulties: readonly number[];
  /**
   * Levels used when a data or GRPO config names none (default: all of `difficulties`). Levels added
   * later (countdown's search tiers, arithmetic's column level) are opt-in, so a config written
   * before them builds the same data.
   */
  readonly defaultDifficulties?: readonly number[];
  generate(rng: Rng, difficulty: number, lang: Lang): Problem;
  solve(problem: Problem): Solution;
  /** True when `answer` (the text inside <answer>) is correct. Never throws, never hangs. */
  verify(problem: Problem, answer: string): boolean;
}

/** Throws a clear error unless `difficulty` is one of the task's levels. */
export function checkDifficulty(task: string, difficulty: number, levels: readonly number[]): void {
  if (!levels.includes(difficulty))
    throw new Error(`${task}: difficulty must be one of ${levels.join(', ')}, got ${difficulty}`);
}
