/**
 * Multi-step word problems (shopping change, travel distance, unit conversion, sharing), in the
 * spirit of GSM8K but generated from templates so the ground truth is exact. Each needs two to
 * four dependent calculations; the solver writes them one per line; the answer is an integer.
 */
import { parseNumberAnswer } from './expr.js';
import type { Rng } from './rng.js';
import { checkDifficulty, type Lang, type Problem, type Solution, type Task } from './types.js';

const LEVELS = [1, 2, 3] as const;

interface Template {
  name: string;
  params(rng: Rng, difficulty: number): number[];
  prompt(lang: Lang, p: number[]): string;
  solve(lang: Lang, p: number[]): { steps: string[]; answer: number };
}

const ASK = {
  en: ' Show your work in <think> </think> tags and give the final number in <answer> </answer> tags.',
  zh: '请在 <think> </think> 中写出解题过程，并在 <answer> </answer> 中给出最终数字。',
};

const TEMPLATES: Template[] = [
  {
    name: 'change',
    params: (rng, d) => {
      const [p1, q1, p2, q2] = [
        rng.int(2, 5 * d + 5),
        rng.int(2, 3 + 2 * d),
        rng.int(2, 5 * d + 5),
        rng.int(1, 2 + 2 * d),
      ];
      const paid = Math.ceil((p1 * q1 + p2 * q2 + rng.int(1, 30)) / 10) * 10;
      return [p1, q1, p2, q2, paid];
    },
    prompt: (lang, [p1, q1, p2, q2, paid]) =>
      lang === 'en'
        ? `Tom buys ${q1} notebooks at ${p1} dollars each and ${q2} pens at ${p2} dollars each. He ` +
          `pays with ${paid} dollars. How many dollars of change does he get?${ASK.en}`
        : `小明买了 ${q1} 本笔记本，每本 ${p1} 元，又买了 ${q2} 支笔，每支 ${p2} 元。` +
          `他付了 ${paid} 元，应该找回多少元？${ASK.zh}`,
    solve: (lang, [p1, q1, p2, q2, paid]) => {
      const a = p1! * q1!,
        b = p2! * q2!,
        total = a + b,
        change = paid! - total;
      const en = [
        `Notebooks cost ${q1} * ${p1} = ${a} dollars.`,
        `Pens cost ${q2} * ${p2} = ${b} dollars.`,
        `Total: ${a} + ${b} = ${total} dollars.`,
        `Change: ${paid} - ${total} = ${change} dollars.`,
      ];
      const zh = [
        `笔记本花了 ${q1} * ${p1} = ${a} 元。`,
        `笔花了 ${q2} * ${p2} = ${b} 元。`,
        `一共 ${a} + ${b} = ${total} 元。`,
        `找回 ${paid} - ${total} = ${change} 元。`,
      ];
      return { steps: lang === 'en' ? en : zh, answer: change };
    },
  },
  {
    name: 'travel',
    params: (rng, d) => [rng.int(20, 40 + 20 * d), rng.int(1, 2 + d), rng.int(20, 40 + 20 * d), rng.int(1, 2 + d)],
    prompt: (lang, [v1, t1, v2, t2]) =>
      lang === 'en'
        ? `A car drives at ${v1} km/h for ${t1} hours, then at ${v2} km/h for ${t2} hours. How many kilometres does it travel in total?${ASK.en}`
        : `一辆汽车先以每小时 ${v1} 千米的速度行驶 ${t1} 小时，` +
          `再以每小时 ${v2} 千米的速度行驶 ${t2} 小时。它一共行驶了多少千米？${ASK.zh}`,
    solve: (lang, [v1, t1, v2, t2]) => {
      const a = v1! * t1!,
        b = v2! * t2!,
        s = a + b;
      const en = [
        `First part: ${v1} * ${t1} = ${a} km.`,
        `Second part: ${v2} * ${t2} = ${b} km.`,
        `Total: ${a} + ${b} = ${s} km.`,
      ];
      const zh = [
        `第一段：${v1} * ${t1} = ${a} 千米。`,
        `第二段：${v2} * ${t2} = ${b} 千米。`,
        `一共：${a} + ${b} = ${s} 千米。`,
      ];
      return { steps: lang === 'en' ? en : zh, answer: s };
    },
  },
  {
    name: 'minutes',
    params: (rng, d) => [rng.int(1, 2 + d), rng.int(1, 59), rng.int(1, 1 + d), rng.int(1, 59)],
    prompt: (lang, [h1, m1, h2, m2]) =>
      lang === 'en'
        ? `Anna studies for ${h1} hours ${m1} minutes on Monday and ${h2} hours ${m2} minutes on ` +
          `Tuesday. How many minutes does she study in total?${ASK.en}`
        : `小红星期一学习了 ${h1} 小时 ${m1} 分钟，` +
          `星期二学习了 ${h2} 小时 ${m2} 分钟。她一共学习了多少分钟？${ASK.zh}`,
    solve: (lang, [h1, m1, h2, m2]) => {
      const a = h1! * 60 + m1!,
        b = h2! * 60 + m2!,
        s = a + b;
      const en = [
        `Monday: ${h1} * 60 + ${m1} = ${a} minutes.`,
        `Tuesday: ${h2} * 60 + ${m2} = ${b} minutes.`,
        `Total: ${a} + ${b} = ${s} minutes.`,
      ];
      const zh = [
        `星期一：${h1} * 60 + ${m1} = ${a} 分钟。`,
        `星期二：${h2} * 60 + ${m2} = ${b} 分钟。`,
        `一共：${a} + ${b} = ${s} 分钟。`,
      ];
      return { steps: lang === 'en' ? en : zh, answer: s };
    },
  },
  {
    name: 'sharing',
    params: (rng, d) => {
      const friends = rng.int(2, 3 + d),
        each = rng.int(2, 4 + 2 * d),
        left = rng.int(0, 10 * d);
      return [friends * each + left, friends, each, rng.int(1, 10 * d + 5)];
    },
    prompt: (lang, [n, f, e, b]) =>
      lang === 'en'
        ? `Lily has ${n} apples. She gives ${e} apples to each of her ${f} friends, then buys ${b} ` +
          `more apples. How many apples does she have now?${ASK.en}`
        : `小丽有 ${n} 个苹果。她给 ${f} 个朋友每人 ${e} 个，然后又买了 ${b} 个。她现在有多少个苹果？${ASK.zh}`,
    solve: (lang, [n, f, e, b]) => {
      const given = f! * e!,
        left = n! - given,
        now = left + b!;
      const en = [
        `She gives away ${f} * ${e} = ${given} apples.`,
        `She has ${n} - ${given} = ${left} left.`,
        `After buying: ${left} + ${b} = ${now} apples.`,
      ];
      const zh = [
        `她送出 ${f} * ${e} = ${given} 个苹果。`,
        `还剩 ${n} - ${given} = ${left} 个。`,
        `买了以后：${left} + ${b} = ${now} 个。`,
      ];
      return { steps: lang === 'en' ? en : zh, answer: now };
    },
  },
];

export const wordProblems: Task = {
  name: 'word',
  difficulties: LEVELS,

  generate(rng: Rng, difficulty: number, lang: Lang): Problem {
    checkDifficulty('word', difficulty, LEVELS);
    const tpl = rng.pick(TEMPLATES);
    const p = tpl.params(rng, difficulty);
    return {
      task: 'word',
      key: `word:${tpl.name}:${p.join(',')}`,
      lang,
      difficulty,
      prompt: tpl.prompt(lang, p),
      answer: String(tpl.solve('en', p).answer),
      data: { template: tpl.name, params: p },
    };
  },

  solve(problem: Problem): Solution {
    const tpl = TEMPLATES.find((t) => t.name === problem.data.template);
    if (!tpl)
      throw new Error(`word: unknown template ${JSON.stringify(problem.data.template)} in problem ${problem.key}`);
    const r = tpl.solve(problem.lang, problem.data.params as number[]);
    return { steps: r.steps, answer: String(r.answer) };
  },

  verify(problem: Problem, answer: string): boolean {
    const v = parseNumberAnswer(answer);
    return v !== null && v.d === 1n && v.n.toString() === problem.answer;
  },
};
