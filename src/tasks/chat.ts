/**
 * Chat prompts: greetings and self-cognition questions, R1's "hello" case (paper 2.3.3: simple
 * queries get no chain of thought) and part of the "all scenarios" mix of the final RL stage
 * (2.3.4). They have no verifiable answer: a problem of task `chat` carries a reference reply in
 * `answer` (what the SFT data teaches), and the RL rewards score its layout (src/rewards/
 * reply-format.ts), length and language, never its accuracy. The prompts come in two disjoint
 * lists, each with greetings and self-cognition questions: `train` (SFT data and RL prompts) and
 * `test` (held-out evaluation, src/eval/general.ts), so the held-out chat figures are on prompts
 * the model never trained on.
 */
import type { Rng } from './rng.js';
import type { Lang, Problem } from './types.js';

/** The task name of chat problems (no entry in the task registry: nothing to verify). */
export const CHAT_TASK = 'chat';

/** Which prompts to draw: the training ones or the held-out ones. */
export type ChatSplit = 'train' | 'test';

const TEXT = {
  en: {
    greetings: ['Hello!', 'Hi there.', 'Good morning!', 'Hey, how are you?', 'Hello, can you help me?'],
    testGreetings: ['Good evening!', 'Hi, nice to meet you.'],
    replies: [
      'Hello! How can I help you today?',
      'Hi! What would you like to work on?',
      'Hello! Ask me a math question and I will reason it through.',
    ],
    identity: ['Who are you?', 'What is your name?', 'What can you do?', 'Are you a person?'],
    testIdentity: ['Tell me about yourself.', 'Who made you?'],
    self:
      'I am a small reasoning model trained with deepseek-ts. I can solve arithmetic, equations ' +
      'and countdown puzzles, and I show my reasoning before the answer.',
  },
  zh: {
    greetings: ['你好！', '早上好！', '你好，能帮我一下吗？', '嗨，最近怎么样？'],
    testGreetings: ['晚上好！', '很高兴认识你。'],
    // biome-ignore format: one string per line (CJK text is twice as wide as it counts)
    replies: [
      '你好！今天有什么可以帮你？',
      '你好！想解决什么问题？',
      '你好！给我一道数学题，我会一步步推理。',
    ],
    identity: ['你是谁？', '你叫什么名字？', '你能做什么？'],
    testIdentity: ['介绍一下你自己。', '谁创造了你？'],
    self: '我是用 deepseek-ts 训练的小型推理模型。我会做算术、解方程和数字游戏，并在回答前展示推理过程。',
  },
};

/** The chat prompts of one split and language: greetings and self-cognition questions. */
export function chatPrompts(lang: Lang, split: ChatSplit): { greetings: string[]; identity: string[] } {
  const t = TEXT[lang];
  return split === 'train'
    ? { greetings: t.greetings, identity: t.identity }
    : { greetings: t.testGreetings, identity: t.testIdentity };
}

/** One chat problem in `lang` from `split` (its key names the prompt). */
export function chatProblem(rng: Rng, lang: Lang, split: ChatSplit = 'train'): Problem {
  const t = TEXT[lang],
    prompts = chatPrompts(lang, split),
    identity = rng.next() < 0.4;
  const prompt = identity ? rng.pick(prompts.identity) : rng.pick(prompts.greetings);
  const answer = identity ? t.self : rng.pick(t.replies);
  return { task: CHAT_TASK, key: `chat:${lang}:${prompt}`, lang, difficulty: 1, prompt, answer, data: {} };
}
