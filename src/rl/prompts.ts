/**
 * The prompt stream of a GRPO run: training problems drawn from a weighted task mix (never from the
 * held-out split: a problem whose key falls in the test bucket is redrawn, src/tasks/splits.ts),
 * rendered with the run's template. Its whole state is one seeded generator, saved in checkpoints.
 * Besides the verifiable tasks of the registry (reasoning tasks and the general `direct` queries),
 * the mix may name `chat`: greetings and self-cognition prompts with no verifiable answer, so the
 * final RL stage covers "all scenarios" (R1 paper 2.3.4).
 * Templates: `r1-zero` is the R1-Zero training template (paper Table 1; the pretraining corpus of
 * `data build` uses the same layout, with no BOS) and the response starts after "Assistant:";
 * `r1` is the chat layout, which opens `<think>\n` for the model, so responses are scored with that
 * prefix put back.
 */
import { CHAT_TASK, chatProblem } from '../tasks/chat.js';
import { getTask } from '../tasks/registry.js';
import { Rng } from '../tasks/rng.js';
import { isTestKey } from '../tasks/splits.js';
import type { Lang, Problem, Task } from '../tasks/types.js';
import { type ChatMessage, renderChat, renderR1Zero } from '../tokenizer/chat.js';
import {
  type AddedSpellings,
  encodeSegments,
  planChat,
  type PromptSegment,
  type PromptTokenizer,
  type RenderPrompt,
} from '../tokenizer/prompt-plan.js';
import { THINK_OPEN } from '../tokenizer/special-tokens.js';

export type TemplateName = 'r1-zero' | 'r1';

/**
 * How a problem becomes a prompt, and what the template already wrote of the response. `encode` is
 * the prompt's token ids, with the question as plain text, exactly as the chat API encodes it
 * (src/tokenizer/prompt-plan.ts); `render` is the same prompt as text, for reading.
 */
export interface PromptTemplate {
  render(problem: Pick<Problem, 'prompt'>): string;
  /** The prompt as segments (template text; the question as plain text), before tokenizing. */
  segments(tok: AddedSpellings, problem: Pick<Problem, 'prompt'>): PromptSegment[];
  encode(tok: PromptTokenizer, problem: Pick<Problem, 'prompt'>): number[];
  responsePrefix: string;
}

/** The R1-Zero template takes one question: it has no turns. */
function oneQuestion(messages: readonly ChatMessage[]): string {
  if (messages.length !== 1 || messages[0]!.role !== 'user')
    throw new Error('the r1-zero template renders one user question; got a conversation');
  return messages[0]!.content;
}

function template(render: RenderPrompt, responsePrefix: string): PromptTemplate {
  const question = (p: Pick<Problem, 'prompt'>): ChatMessage[] => [{ role: 'user', content: p.prompt }];
  return {
    render: (p) => render(question(p)),
    segments: (tok, p) => planChat(tok, question(p), render).segments,
    encode: (tok, p) => encodeSegments(tok, planChat(tok, question(p), render).segments),
    responsePrefix,
  };
}

export const TEMPLATES: Readonly<Record<TemplateName, PromptTemplate>> = Object.freeze({
  'r1-zero': template((ms) => renderR1Zero(oneQuestion(ms)), ''),
  r1: template((ms) => renderChat(ms, { addGenerationPrompt: true }), `${THINK_OPEN}\n`),
});

/** Options of a ProblemStream. */
export interface StreamOptions {
  tasks: Readonly<Record<string, number>>;
  difficulties?: Readonly<Record<string, readonly number[]>>;
  languages: readonly Lang[];
  seed: number;
  /** A saved state (ProblemStream.state) to continue from. */
  state?: number;
}

/** An endless, seeded stream of training problems from a weighted task mix. */
export class ProblemStream {
  private readonly rng: Rng;
  private readonly entries: { task: Task | typeof CHAT_TASK; weight: number; levels: readonly number[] }[];
  private readonly total: number;

  constructor(private readonly o: StreamOptions) {
    this.entries = Object.entries(o.tasks).map(([name, weight]) => {
      if (name === CHAT_TASK) {
        const levels = o.difficulties?.[name] ?? [1];
        if (levels.some((d) => d !== 1))
          throw new Error(`difficulties.chat: chat prompts have one level, 1; got ${levels.join(', ')}`);
        return { task: CHAT_TASK, weight, levels };
      }
      const task = getTask(name);
      const levels = o.difficulties?.[name] ?? task.defaultDifficulties ?? task.difficulties;
      for (const d of levels)
        if (!task.difficulties.includes(d))
          throw new Error(
            `difficulties.${name}: ${d} is not a level of ${name}; expected some of ${task.difficulties.join(', ')}`,
          );
      return { task, weight, levels };
    });
    if (this.entries.length === 0) throw new Error('tasks: the task mix is empty; expected e.g. {"countdown": 1}');
    if (o.languages.length === 0) throw new Error('languages: expected at least one of en, zh');
    this.total = this.entries.reduce((s, e) => s + e.weight, 0);
    this.rng = o.state !== undefined ? Rng.fromState(o.state) : new Rng(o.seed).fork('grpo-prompts');
  }

  /** The generator state, for checkpoints. */
  get state(): number {
    return this.rng.state;
  }

  /** The next training problem. */
  next(): Problem {
    let r = this.rng.next() * this.total,
      entry = this.entries[this.entries.length - 1]!;
    for (const e of this.entries) {
      if (r < e.weight) {
        entry = e;
        break;
      }
      r -= e.weight;
    }
    const task = entry.task;
    if (task === CHAT_TASK) return chatProblem(this.rng, this.rng.pick(this.o.languages));
    for (let attempt = 0; attempt < 1000; attempt++) {
      const p = task.generate(this.rng, this.rng.pick(entry.levels), this.rng.pick(this.o.languages));
      if (!isTestKey(p.key)) return p;
    }
    throw new Error(`${task.name}: 1000 draws in a row fell in the held-out split (generator bug)`);
  }
}
