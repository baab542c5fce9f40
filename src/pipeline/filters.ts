/**
 * Rejection-sampling filters (R1 paper 2.3.1 cold start and 2.3.3: "we filter out chain-of-thought
 * with mixed languages, long paragraphs, and code blocks", keeping only correct samples). Each
 * candidate gets the first reason it fails, in a fixed order, so the statistics of a run say how
 * many were rejected for what:
 *   truncated (no stop token) > format (not `<think>..</think><answer>..</answer>`) > incorrect
 *   (the task verifier rejects the answer) > language_mixing (src/eval/readability.ts) >
 *   overlong_paragraph (a paragraph, i.e. a line of the reasoning, longer than max_paragraph_chars)
 *   > code_block (a ``` fence) > repetition (a line repeated more than max_repeated_lines times)
 *   > duplicate (same reasoning and answer as an earlier response to the same problem). A sampling
 * loop that keeps at most keep_per_prompt per problem counts the clean ones past that as surplus.
 */
import { isFormatViolation, isLanguageMixed } from '../eval/readability.js';
import { isCorrect } from '../tasks/registry.js';
import type { Problem } from '../tasks/types.js';
import { parseCompletion } from '../tokenizer/chat.js';

export const REJECT_REASONS = [
  'truncated',
  'format',
  'incorrect',
  'language_mixing',
  'overlong_paragraph',
  'code_block',
  'repetition',
  'duplicate',
  'surplus',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** Filter thresholds (names as in the pipeline config). */
export interface FilterOptions {
  max_paragraph_chars: number;
  max_repeated_lines: number;
}

export const DEFAULT_FILTERS: Readonly<FilterOptions> = Object.freeze({
  max_paragraph_chars: 400,
  max_repeated_lines: 2,
});

/** One sampled response to a problem. */
export interface Candidate {
  problem: Problem;
  /** The full response, starting at `<think>`. */
  response: string;
  /** True when generation ended with the stop token. */
  finished: boolean;
}

/** The first reason `c` is rejected, or null when it is kept. `seen` holds kept keys (problem + content) and is updated. */
export function rejectReason(c: Candidate, o: FilterOptions, seen?: Set<string>): RejectReason | null {
  if (!c.finished) return 'truncated';
  if (isFormatViolation(c.problem, c.response)) return 'format';
  if (!isCorrect(c.problem, c.response)) return 'incorrect';
  if (isLanguageMixed(c.response, c.problem.lang)) return 'language_mixing';
  const { reasoning } = parseCompletion(c.response);
  const lines = reasoning
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (lines.some((l) => [...l].length > o.max_paragraph_chars)) return 'overlong_paragraph';
  if (c.response.includes('```')) return 'code_block';
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  if ([...counts.values()].some((n) => n > o.max_repeated_lines)) return 'repetition';
  if (seen) {
    const key = contentKey(c.problem.key, c.response);
    if (seen.has(key)) return 'duplicate';
    seen.add(key);
  }
  return null;
}

/** What makes two responses to one problem the same: its key, the reasoning lines and the answer. */
export function contentKey(problemKey: string, response: string): string {
  const { reasoning, answer } = parseCompletion(response);
  return `${problemKey}\u0000${reasoning
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join('\n')}\u0000${answer}`;
}

/** Kept / rejected-by-reason counts. */
export interface FilterStats {
  candidates: number;
  kept: number;
  rejected: Record<RejectReason, number>;
}

export function emptyStats(): FilterStats {
  return {
    candidates: 0,
    kept: 0,
    rejected: Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>,
  };
}

/** Adds one outcome to `s` (in place). */
export function countOutcome(s: FilterStats, reason: RejectReason | null): void {
  s.candidates++;
  if (reason === null) s.kept++;
  else s.rejected[reason]++;
}
