/**
 * Non-reasoning SFT data for the second SFT round (R1 paper 2.3.3: besides reasoning data, R1
 * adds writing, factual QA, self-cognition and translation, and "for simpler queries, such as
 * 'hello', we do not provide a CoT in response"). We have no DeepSeek-V3 to write them, so they
 * come from seeded templates:
 * - `chat`: greetings and self-cognition questions, answered with an empty think block and a
 *   plain reply (`<think>\n\n</think>\n\nreply`);
 * - `direct`: short questions with an exact answer (compare two numbers, sort a list, count the
 *   letters of a word), answered with a one-line thought and a tagged answer.
 * Every record is English; keys are unique per kind and content.
 */
import type { SftRecord } from '../data/sft.js';
import { Rng } from '../tasks/rng.js';
import { assistantBody } from '../tokenizer/chat.js';
import { THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';

const GREETINGS = ['Hello!', 'Hi there.', 'Good morning!', 'Hey, how are you?', 'Hello, can you help me?'];
const GREETING_REPLIES = ['Hello! How can I help you today?', 'Hi! What would you like to work on?', 'Hello! Ask me a math question and I will reason it through.'];
const IDENTITY = ['Who are you?', 'What is your name?', 'What can you do?', 'Are you a person?'];
const IDENTITY_REPLY = 'I am a small reasoning model trained with deepseek-ts. I can solve arithmetic, equations and countdown puzzles, and I show my reasoning before the answer.';
const WORDS = ['apple', 'river', 'number', 'reason', 'answer', 'garden', 'window', 'planet', 'signal', 'bridge'];

/** One chat record: empty thinking, plain reply. */
function chatRecord(rng: Rng, i: number): SftRecord {
  const identity = rng.next() < 0.4;
  const q = identity ? rng.pick(IDENTITY) : rng.pick(GREETINGS);
  const a = identity ? IDENTITY_REPLY : rng.pick(GREETING_REPLIES);
  return { task: 'chat', key: `chat:${i}`, lang: 'en', messages: [{ role: 'user', content: q }, { role: 'assistant', content: `${THINK_OPEN}\n\n${THINK_CLOSE}\n\n${a}` }] };
}

/** One direct-answer record: a one-line thought and the exact answer. */
function directRecord(rng: Rng, i: number): SftRecord {
  const kind = rng.int(0, 2);
  let q: string, thought: string, answer: string;
  if (kind === 0) {
    const a = rng.int(1, 999), b = rng.int(1, 999);
    q = `Which is larger, ${a} or ${b}?`;
    answer = String(Math.max(a, b));
    thought = a === b ? `Both are ${a}.` : `${Math.max(a, b)} > ${Math.min(a, b)}.`;
  } else if (kind === 1) {
    const xs = Array.from({ length: rng.int(3, 5) }, () => rng.int(0, 99));
    q = `Sort these numbers from smallest to largest: ${xs.join(', ')}.`;
    answer = [...xs].sort((x, y) => x - y).join(', ');
    thought = 'Order them by value.';
  } else {
    const w = rng.pick(WORDS);
    q = `How many letters are in the word "${w}"?`;
    answer = String(w.length);
    thought = `${w.split('').join('-')} has ${w.length} letters.`;
  }
  return { task: 'direct', key: `direct:${i}:${q}`, lang: 'en', messages: [{ role: 'user', content: q }, { role: 'assistant', content: assistantBody(thought, answer) }] };
}

/** `chat` chat records and `direct` direct-answer records, deterministic for the seed. */
export function nonReasoningRecords(counts: { chat: number; direct: number }, seed: number): SftRecord[] {
  const rng = new Rng(seed).fork('non-reasoning');
  return [
    ...Array.from({ length: counts.chat }, (_, i) => chatRecord(rng, i)),
    ...Array.from({ length: counts.direct }, (_, i) => directRecord(rng, i)),
  ];
}
