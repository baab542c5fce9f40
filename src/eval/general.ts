/**
 * Held-out prompts of the general scenarios (R1 paper 2.3.3-2.3.4: besides reasoning, R1's
 * second SFT round and final RL cover simple queries and chat, which R1-Zero never saw): `direct`
 * queries from the test split of src/tasks/direct.ts (exactly verifiable) and `chat` greetings and
 * self-cognition questions from the held-out prompts of src/tasks/chat.ts (nothing to verify: their figures are the reply
 * layout, length and language). Deterministic for the seed; English, the language the project's
 * tiny tokenizers are trained on.
 */
import { chatProblem } from '../tasks/chat.js';
import { direct } from '../tasks/direct.js';
import { Rng } from '../tasks/rng.js';
import { generateProblems } from '../tasks/splits.js';
import type { Problem } from '../tasks/types.js';

/** How many prompts of each general scenario to evaluate. */
export interface GeneralCounts {
  chat?: number;
  direct?: number;
}

/** The general-scenario prompts: `direct` held-out queries, then `chat` prompts. */
export function generalProblems(counts: GeneralCounts, seed: number): Problem[] {
  for (const [name, n] of Object.entries(counts)) {
    if (n !== undefined && (!Number.isInteger(n) || n < 0))
      throw new Error(`general.${name}: expected a non-negative integer, got ${n}`);
  }
  const out = generateProblems({ task: direct, split: 'test', count: counts.direct ?? 0, seed, langs: ['en'] });
  const rng = new Rng(seed).fork('chat-eval');
  for (let i = 0; i < (counts.chat ?? 0); i++) out.push(chatProblem(rng, 'en', 'test'));
  return out;
}
