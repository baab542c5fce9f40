/**
 * Non-reasoning SFT data for the second SFT round (R1 paper 2.3.3: besides reasoning data, R1
 * adds writing, factual QA, self-cognition and translation, and "for simpler queries, such as
 * 'hello', we do not provide a CoT in response"). We have no DeepSeek-V3 to write them, so they
 * come from the seeded generators of src/tasks/chat.ts and src/tasks/direct.ts (which also feed
 * the final RL stage's prompts):
 * - `chat`: greetings and self-cognition questions, answered with an empty think block and a
 *   plain reply (`<think>\n\n</think>\n\nreply`);
 * - `direct`: short questions with an exact answer (compare two numbers, sort a list, count the
 *   letters of a word), answered with a one-line thought and a tagged answer.
 * Every record is English; keys are unique per kind and content.
 */
import type { SftRecord } from '../data/sft.js';
import { chatProblem } from '../tasks/chat.js';
import { direct } from '../tasks/direct.js';
import { Rng } from '../tasks/rng.js';
import { assistantBody } from '../tokenizer/chat.js';
import { THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';

/** One chat record: empty thinking, plain reply (the reference reply of src/tasks/chat.ts). */
function chatRecord(rng: Rng, i: number): SftRecord {
  const p = chatProblem(rng, 'en');
  return {
    task: p.task,
    key: `${p.key}:${i}`,
    lang: p.lang,
    messages: [
      { role: 'user', content: p.prompt },
      { role: 'assistant', content: `${THINK_OPEN}\n\n${THINK_CLOSE}\n\n${p.answer}` },
    ],
  };
}

/** One direct-answer record: the one-line thought of src/tasks/direct.ts and the exact answer. */
function directRecord(rng: Rng, i: number): SftRecord {
  const p = direct.generate(rng, 1, 'en'),
    s = direct.solve(p);
  return {
    task: p.task,
    key: `${p.key}:${i}`,
    lang: p.lang,
    messages: [
      { role: 'user', content: p.prompt },
      { role: 'assistant', content: assistantBody(s.steps.join('\n'), s.answer) },
    ],
  };
}

/** `chat` chat records and `direct` direct-answer records, deterministic for the seed. */
export function nonReasoningRecords(counts: { chat: number; direct: number }, seed: number): SftRecord[] {
  const rng = new Rng(seed).fork('non-reasoning');
  return [
    ...Array.from({ length: counts.chat }, (_, i) => chatRecord(rng, i)),
    ...Array.from({ length: counts.direct }, (_, i) => directRecord(rng, i)),
  ];
}
