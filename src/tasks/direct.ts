/**
 * Direct-answer questions: the "simpler queries" of R1's non-reasoning data (paper 2.3.3: they get
 * no long chain of thought). Three kinds, each with an exact verifier so the final RL stage (paper
 * 2.3.4, "all scenarios") can still pay accuracy on them: which of two numbers is larger, a short
 * list sorted ascending, the number of letters of a word. Not a reasoning task of the corpus: it
 * lives in GENERAL_TASKS (src/tasks/registry.ts), outside `data build`'s task list. Splits follow
 * the hashed keys of src/tasks/splits.ts; the word list is long enough that some words' keys fall in
 * the held-out bucket, so the test split has every kind (a test pins it).
 */
import type { Rng } from './rng.js';
import { checkDifficulty, type Lang, type Problem, type Solution, type Task } from './types.js';

const LEVELS = [1] as const;
/** Words for the letter-count questions (72, of which 3 keys are held out: lemon, ocean, paper). */
export const WORDS = [
  ...['apple', 'river', 'number', 'reason', 'answer', 'garden', 'window', 'planet', 'signal', 'bridge'],
  ...['orange', 'yellow', 'purple', 'silver', 'castle', 'forest', 'island', 'market', 'pencil', 'letter'],
  ...['camera', 'guitar', 'rabbit', 'turtle', 'monkey', 'spider', 'circle', 'square', 'triangle', 'button'],
  ...['candle', 'basket', 'bottle', 'carpet', 'dinner', 'doctor', 'engine', 'family', 'farmer', 'finger'],
  ...['flower', 'friend', 'hammer', 'helmet', 'jacket', 'kitten', 'ladder', 'lemon', 'magnet', 'mirror'],
  ...['needle', 'ocean', 'paper', 'pepper', 'pillow', 'pocket', 'puzzle', 'rocket', 'saddle', 'school'],
  ...['shadow', 'summer', 'sunset', 'ticket', 'tomato', 'travel', 'valley', 'violin', 'wallet', 'winter'],
  ...['wizard', 'zebra'],
];

const TEXT = {
  en: {
    larger: (a: number, b: number) => `Which is larger, ${a} or ${b}?`,
    sort: (xs: number[]) => `Sort these numbers from smallest to largest: ${xs.join(', ')}.`,
    letters: (w: string) => `How many letters are in the word "${w}"?`,
    same: (a: number) => `Both are ${a}.`,
    order: 'Order them by value.',
    spell: (w: string) => `${w.split('').join('-')} has ${w.length} letters.`,
  },
  zh: {
    larger: (a: number, b: number) => `${a} 和 ${b} 哪个更大？`,
    sort: (xs: number[]) => `把这些数从小到大排序：${xs.join(', ')}。`,
    letters: (w: string) => `单词 "${w}" 有几个字母？`,
    same: (a: number) => `两个数都是 ${a}。`,
    order: '按大小排列。',
    spell: (w: string) => `${w.split('').join('-')} 共有 ${w.length} 个字母。`,
  },
};

/** The integers of a comma-separated list answer, or null when it is not one. */
function intList(text: string): number[] | null {
  const parts = text
    .trim()
    .replace(/[，、]/g, ',')
    .split(',')
    .map((s) => s.trim());
  if (parts.length === 0 || parts.length > 64 || !parts.every((s) => /^-?\d{1,9}$/.test(s))) return null;
  return parts.map(Number);
}

export const direct: Task = {
  name: 'direct',
  difficulties: LEVELS,

  generate(rng: Rng, difficulty: number, lang: Lang): Problem {
    checkDifficulty('direct', difficulty, LEVELS);
    const t = TEXT[lang],
      kind = rng.int(0, 2);
    if (kind === 0) {
      const a = rng.int(1, 999),
        b = rng.int(1, 999);
      return {
        task: 'direct',
        key: `direct:max:${a},${b}`,
        lang,
        difficulty,
        prompt: t.larger(a, b),
        answer: String(Math.max(a, b)),
        data: { kind: 'max', numbers: [a, b] },
      };
    }
    if (kind === 1) {
      const xs = Array.from({ length: rng.int(3, 5) }, () => rng.int(0, 99));
      const sorted = [...xs].sort((x, y) => x - y);
      return {
        task: 'direct',
        key: `direct:sort:${xs.join(',')}`,
        lang,
        difficulty,
        prompt: t.sort(xs),
        answer: sorted.join(', '),
        data: { kind: 'sort', numbers: xs },
      };
    }
    const w = rng.pick(WORDS);
    return {
      task: 'direct',
      key: `direct:letters:${w}`,
      lang,
      difficulty,
      prompt: t.letters(w),
      answer: String(w.length),
      data: { kind: 'letters', word: w },
    };
  },

  solve(problem: Problem): Solution {
    const t = TEXT[problem.lang],
      d = problem.data;
    if (d.kind === 'max') {
      const [a, b] = d.numbers as number[];
      return { steps: [a === b ? t.same(a!) : `${Math.max(a!, b!)} > ${Math.min(a!, b!)}.`], answer: problem.answer };
    }
    if (d.kind === 'sort') return { steps: [t.order], answer: problem.answer };
    return { steps: [t.spell(String(d.word))], answer: problem.answer };
  },

  verify(problem: Problem, answer: string): boolean {
    if (typeof answer !== 'string' || answer.length > 1000) return false;
    const d = problem.data;
    if (d.kind === 'sort') {
      const got = intList(answer),
        want = [...(d.numbers as number[])].sort((x, y) => x - y);
      return got !== null && got.length === want.length && got.every((v, i) => v === want[i]);
    }
    const s = answer.trim();
    if (!/^\d{1,9}$/.test(s)) return false;
    return (
      Number(s) ===
      (d.kind === 'max' ? (d.numbers as number[]).reduce((a, b) => Math.max(a, b), -Infinity) : String(d.word).length)
    );
  },
};
