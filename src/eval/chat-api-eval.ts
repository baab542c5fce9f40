/**
 * The shipped model asked as a user asks it (issue 14, protocol section 8, items 10 and 11): the
 * model is served by the same server `npm start` runs (src/serve/server.ts, on a loopback port), and
 * each question is one POST /v1/chat/completions at temperature 0 with the question as the user
 * message. Scored from the reply: the reasoning comes back in `reasoning_content`, the answer in
 * `content`. The question sets:
 * - arithmetic: held-out problems in the README's bare form ("Calculate 47 + 385."), per operation;
 * - off-task: the held-out greetings and general questions; right when the reply is the honest
 *   "I only solve arithmetic and countdown" (isOffTaskReply), not a made-up answer;
 * - countdown: 3 numbers from 1-99, generated with a seed other than the split's (held-out bucket,
 *   so never trained on), in TinyZero's wording.
 */
import { barePrompt } from '../data/build.js';
import { openChatModel } from '../serve/load-model.js';
import { startServer } from '../serve/server.js';
import { countdown } from '../tasks/countdown.js';
import { isOffTaskReply } from '../tasks/off-task.js';
import { isCorrect } from '../tasks/registry.js';
import { generateProblems } from '../tasks/splits.js';
import type { Problem } from '../tasks/types.js';
import { readTestProblems } from '../train/data.js';

/** One question and its reply. */
export interface ChatCase {
  group: string;
  question: string;
  reasoning: string;
  content: string;
  right: boolean;
}

export interface ChatApiReport {
  model: string;
  /** Per group: questions, how many were answered right, and the share. */
  groups: Record<string, { questions: number; right: number; share: number }>;
  cases: ChatCase[];
}

export interface ChatApiOptions {
  model: string;
  datasetDir: string;
  arithmetic: number;
  offTask: number;
  countdown: number;
  /** Seed of the fresh countdown problems (not the split's). */
  countdownSeed: number;
  maxTokens: number;
  threads?: number;
  /** Requests in flight at once. */
  concurrency?: number;
}

const OPS: Record<string, string> = { '+': 'add', '-': 'sub', '*': 'mul' };

/** The questions of each group, with how to score a reply. */
function questions(o: ChatApiOptions): { group: string; question: string; score: (reply: string) => boolean }[] {
  const tests = readTestProblems(o.datasetDir);
  const need = (t: string) => {
    const ps = tests.get(t);
    if (!ps) throw new Error(`chat API eval: ${o.datasetDir}/test has no ${t}.jsonl`);
    return ps;
  };
  const scored = (p: Problem, question: string, group: string) => ({
    group,
    question,
    score: (reply: string) => isCorrect(p, reply),
  });
  const arithmetic = need('arithmetic')
    .slice(0, o.arithmetic)
    .map((p) => scored(p, barePrompt(p.prompt), `arithmetic ${OPS[String(p.data.op)] ?? p.data.op}`));
  const offTask = need('off-task')
    .slice(0, o.offTask)
    .map((p) => ({ group: 'off-task', question: p.prompt, score: (reply: string) => isOffTaskReply(reply) }));
  const fresh = generateProblems({
    task: countdown,
    split: 'test',
    count: o.countdown,
    seed: o.countdownSeed,
    difficulties: [4],
    langs: ['en'],
  }).map((p) => scored(p, p.prompt, 'countdown fresh'));
  return [...arithmetic, ...offTask, ...fresh];
}

/** Serves `o.model` on a loopback port and asks every question through the chat API. */
export async function chatApiEval(o: ChatApiOptions): Promise<ChatApiReport> {
  const qs = questions(o);
  const m = await openChatModel(o.model, o.threads ? { threads: o.threads } : {});
  const server = await startServer(m.service, { modelId: m.name, port: 0 });
  try {
    const cases: ChatCase[] = new Array(qs.length);
    let next = 0;
    const worker = async () => {
      while (next < qs.length) {
        const i = next++;
        const q = qs[i]!;
        const res = await fetch(`${server.url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({
            model: m.name,
            messages: [{ role: 'user', content: q.question }],
            temperature: 0,
            max_tokens: o.maxTokens,
          }),
        });
        const body = (await res.json()) as {
          choices?: { message: { content: string | null; reasoning_content?: string | null } }[];
          error?: { message: string };
        };
        if (!res.ok || !body.choices)
          throw new Error(`chat API eval: HTTP ${res.status}: ${body.error?.message ?? ''}`);
        const msg = body.choices[0]!.message;
        const reasoning = msg.reasoning_content ?? '',
          content = msg.content ?? '';
        // The reply as one completion (the template opened <think>): the task's own parser scores it.
        const right = q.group === 'off-task' ? q.score(content) : q.score(`<think>\n${reasoning}\n</think>${content}`);
        cases[i] = { group: q.group, question: q.question, reasoning, content, right };
      }
    };
    await Promise.all(Array.from({ length: o.concurrency ?? 8 }, worker));
    const groups: ChatApiReport['groups'] = {};
    for (const c of cases) {
      const g = (groups[c.group] ??= { questions: 0, right: 0, share: 0 });
      g.questions++;
      if (c.right) g.right++;
      g.share = g.right / g.questions;
    }
    return { model: m.name, groups, cases };
  } finally {
    await server.close();
    m.dispose();
  }
}
