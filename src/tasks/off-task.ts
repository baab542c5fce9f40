/**
 * Questions outside the model's tasks (greetings, general questions) and the one short, honest reply
 * the R1-Zero corpus teaches for them (issue 14: the shipped model must stop answering "Hello" with
 * a countdown equation). Questions come from templates and topics, so there are enough of them for a
 * held-out split disjoint by key (src/tasks/splits.ts), as for the tasks. English only. It has the
 * Task shape so generateProblems splits it, but it is not in the task registry: its "answer" is the
 * reply, and `isOffTaskReply` recognises that reply in a response.
 */
import type { Rng } from './rng.js';
import { checkDifficulty, type Problem, type Task } from './types.js';

/** Task name of these questions (no entry in the task registry: nothing to verify). */
export const OFF_TASK = 'off-task';

/** The reply, inside <answer>. */
export const OFF_TASK_REPLY = 'I only solve arithmetic and countdown puzzles.';
/** The reasoning, inside <think>. */
export const OFF_TASK_REASONING = 'This is not an arithmetic or countdown problem.';

const GREETINGS = ['Hello', 'Hi', 'Hey', 'Good morning', 'Good evening', 'Hi there', 'Greetings'];
const GREETING_TAILS = [
  '!',
  ', who are you?',
  ', how are you?',
  ', what can you do?',
  ', can you help me?',
  ', what is your name?',
  '. Are you a person?',
];
const TOPICS = [
  'the weather',
  'the moon',
  'black holes',
  'the ocean',
  'volcanoes',
  'the Roman Empire',
  'photosynthesis',
  'jazz music',
  'the stock market',
  'climate change',
  'dinosaurs',
  'the human heart',
  'electric cars',
  'coffee',
  'the French Revolution',
  'rainbows',
  'honey bees',
  'the internet',
  'chess',
  'football',
  'gardening',
  'bread',
  'the Eiffel Tower',
  'earthquakes',
  'vaccines',
  'the solar system',
  'penguins',
  'democracy',
  'tea ceremonies',
  'the printing press',
  'glaciers',
  'the Amazon rainforest',
  'sleep',
  'meditation',
  'video games',
  'poetry',
  'the color blue',
  'dogs',
  'cats',
  'mountains',
  'deserts',
  'the piano',
  'ancient Egypt',
  'robots',
  'friendship',
  'the history of Rome',
  'quantum physics',
  'the moon landing',
  'Shakespeare',
  'the Great Wall',
  'tigers',
  'rain',
  'autumn',
  'the Olympics',
  'my birthday party',
  'cooking pasta',
  'learning Spanish',
  'job interviews',
  'the news today',
  'a good book',
  'travel to Japan',
  'the best movie',
  'healthy breakfasts',
  'running shoes',
  'my homework',
  'a cover letter',
  'the meaning of life',
  'time zones',
  'recycling',
  'bicycles',
  'owls',
  'thunderstorms',
  'the Renaissance',
  'electricity',
  'magnets',
  'the stars',
  'whales',
  'the brain',
  'music theory',
];
const FORMS = [
  (t: string) => `Tell me about ${t}.`,
  (t: string) => `What do you know about ${t}?`,
  (t: string) => `Can you explain ${t}?`,
  (t: string) => `Write a poem about ${t}.`,
  (t: string) => `Write a short story about ${t}.`,
  (t: string) => `What is your opinion on ${t}?`,
  (t: string) => `Give me three facts about ${t}.`,
  (t: string) => `Why is ${t} important?`,
  (t: string) => `Help me write an essay on ${t}.`,
  (t: string) => `Tell me a joke about ${t}.`,
  (t: string) => `Summarize ${t} in one sentence.`,
  (t: string) => `What should I read about ${t}?`,
  (t: string) => `Is ${t} interesting?`,
  (t: string) => `Describe ${t} to a child.`,
  (t: string) => `Translate "I like ${t}" into French.`,
];

/** One off-task question (a greeting one time in five, else a general question). */
export function offTaskProblem(rng: Rng): Problem {
  const prompt = rng.chance(0.2)
    ? `${rng.pick(GREETINGS)}${rng.pick(GREETING_TAILS)}`
    : rng.pick(FORMS)(rng.pick(TOPICS));
  return {
    task: OFF_TASK,
    key: `off-task:${prompt.toLowerCase()}`,
    lang: 'en',
    difficulty: 1,
    prompt,
    answer: OFF_TASK_REPLY,
    data: {},
  };
}

/** Distinct questions the templates can make (for sizing the held-out split). */
export function offTaskQuestionCount(): number {
  return GREETINGS.length * GREETING_TAILS.length + FORMS.length * TOPICS.length;
}

/** True when an answer is the honest off-task reply (or says the same in its own words). */
export function isOffTaskReply(answer: string): boolean {
  return /\bonly solve\b/i.test(answer) && /\barithmetic\b/i.test(answer) && /\bcountdown\b/i.test(answer);
}

/** The off-task questions in the Task shape (generate, the fixed reply as solution, reply check). */
export const offTask: Task = {
  name: OFF_TASK,
  difficulties: [1],
  generate(rng, difficulty) {
    checkDifficulty(OFF_TASK, difficulty, [1]);
    return offTaskProblem(rng);
  },
  solve: () => ({ steps: [OFF_TASK_REASONING], answer: OFF_TASK_REPLY }),
  verify: (_problem, answer) => typeof answer === 'string' && isOffTaskReply(answer),
};
