/**
 * Chat prompts: greetings and self-cognition questions, R1's "hello" case (paper 2.3.3: simple
 * queries get no chain of thought) and part of the "all scenarios" mix of the final RL stage
 * (2.3.4). They have no verifiable answer: a problem of task `chat` carries a reference reply in
 * `answer` (what the SFT data teaches), and the RL rewards score its layout (src/rewards/
 * reply-format.ts), length and language, never its accuracy.
 */
import type { Rng } from './rng.js';
import type { Lang, Problem } from './types.js';

/** The task name of chat problems (no entry in the task registry: nothing to verify). */
export const CHAT_TASK = 'chat';

const TEXT = {
  en: {
    greetings: ['Hello!', 'Hi there.', 'Good morning!', 'Hey, how are you?', 'Hello, can you help me?'],
    replies: [
      'Hello! How can I help you today?',
      'Hi! What would you like to work on?',
      'Hello! Ask me a math question and I will reason it through.',
    ],
    identity: ['Who are you?', 'What is your name?', 'What can you do?', 'Are you a person?'],
    self: 'I am a small reasoning model trained with deepseek-ts. I can solve arithmetic, equations and countdown puzzles, and I show my reasoning before the answer.',
  },
  zh: {
    greetings: ['你好！', '早上好！', '你好，能帮我一下吗？', '嗨，最近怎么样？'],
    replies: ['你好！今天有什么可以帮你？', '你好！想解决什么问题？', '你好！给我一道数学题，我会一步步推理。'],
    identity: ['你是谁？', '你叫什么名字？', '你能做什么？'],
    self: '我是用 deepseek-ts 训练的小型推理模型。我会做算术、解方程和数字游戏，并在回答前展示推理过程。',
  },
};

/** One chat problem in `lang` (its key names the prompt). */
export function chatProblem(rng: Rng, lang: Lang): Problem {
  const t = TEXT[lang],
    identity = rng.next() < 0.4;
  const prompt = identity ? rng.pick(t.identity) : rng.pick(t.greetings);
  const answer = identity ? t.self : rng.pick(t.replies);
  return { task: CHAT_TASK, key: `chat:${lang}:${prompt}`, lang, difficulty: 1, prompt, answer, data: {} };
}
