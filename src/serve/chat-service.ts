/**
 * Chat on top of the generation engine: messages in, a stream of reasoning / content deltas out,
 * for `n` choices at once. Both the HTTP API and the terminal chat use it. Token work (prompt
 * encoding, stop tokens) and text work (detokenizing, stop strings, the think split) meet here;
 * the engine below sees only ids.
 */
import type { Scheduler } from '../inference/scheduler.js';
import type { Generation } from '../inference/generation.js';
import type { SamplingParams } from '../inference/sampling.js';
import { AsyncQueue } from '../inference/async-queue.js';
import type { ChatMessage } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { chatRender, encodeChat, type EncodedPrompt } from '../tokenizer/prompt-plan.js';
import { ReasoningSplitter, StopMatcher, StreamDecoder } from './text-stream.js';

/** A chat request in engine terms. */
export interface ChatRequest {
  messages: readonly ChatMessage[];
  /** Most new tokens per choice; absent means the rest of the context. */
  maxTokens?: number;
  temperature: number;
  topP: number;
  topK: number;
  seed?: number;
  stop: readonly string[];
  n: number;
  logprobs: boolean;
  /** With logprobs: the this many most likely tokens per position too (0 or absent: none). */
  topLogprobs?: number;
}

/** One greedy choice for `messages` (temperature 0, no stop strings, no log-probabilities). */
export function greedyRequest(messages: readonly ChatMessage[], maxTokens?: number): ChatRequest {
  return {
    messages,
    ...(maxTokens === undefined ? {} : { maxTokens }),
    temperature: 0,
    topP: 1,
    topK: 0,
    stop: [],
    n: 1,
    logprobs: false,
  };
}

/** A token's log-probability, with its text. */
export interface TokenText {
  token: string;
  logprob: number;
  bytes: number[];
}

/** One chosen token's log-probability, with the most likely alternatives (OpenAI's shape). */
export interface TokenLogprob extends TokenText {
  top_logprobs: TokenText[];
}

/** What the stream yields. */
export type ChatEvent =
  | { type: 'delta'; index: number; reasoning: string; content: string; logprobs?: TokenLogprob[] }
  | { type: 'finish'; index: number; reason: 'stop' | 'length'; completionTokens: number; reasoningTokens: number };

/** A prepared request: its prompt is encoded and checked against the context. */
export interface PreparedChat {
  request: ChatRequest;
  prompt: EncodedPrompt;
  /** Raw text out (the legacy completions endpoint): no reasoning split, no trimming. */
  raw?: boolean;
}

/** Serves chat requests with one tokenizer and one scheduler. */
export class ChatService {
  constructor(
    readonly scheduler: Scheduler,
    readonly tokenizer: Tokenizer,
    /** Token ids that end a reply (the tokenizer's EOS, generation_config's eos_token_id). */
    readonly stopTokens: readonly number[],
  ) {}

  private longestToken = 0;

  /**
   * A lower bound on the prompt tokens of `messages`, from cheap counts only (no rendering, no
   * tokenizing): each user or assistant turn takes at least one token of the template, and no token
   * covers more bytes than the vocabulary's longest (message texts counted trimmed, less a final
   * period, as the R1-Zero template edits them). The server refuses a request over the context on
   * this bound before the tokenizer blocks the event loop on it.
   */
  promptTokensAtLeast(messages: readonly ChatMessage[]): number {
    if (this.longestToken === 0)
      for (let id = 0; id < this.tokenizer.vocabSize; id++)
        this.longestToken = Math.max(this.longestToken, this.tokenizer.decodeBytes([id]).length);
    let turns = 0,
      bytes = 0;
    for (const m of messages) {
      if (m.role !== 'system') turns++;
      bytes += Math.max(0, Buffer.byteLength(m.content.trim(), 'utf8') - 1);
    }
    return Math.max(turns, Math.ceil(bytes / Math.max(1, this.longestToken)));
  }

  get maxContext(): number {
    return this.scheduler.model.maxContext;
  }

  /** Encodes the prompt; callers check `prompt.ids.length` against `maxContext`. */
  prepare(request: ChatRequest): PreparedChat {
    return { request, prompt: encodeChat(this.tokenizer, request.messages, chatRender(this.tokenizer)) };
  }

  /**
   * Streams the choices' deltas interleaved, each choice ending with a `finish` event. Aborting
   * `signal` or leaving the iteration cancels every generation of the request at once.
   */
  async *stream(prepared: PreparedChat, signal?: AbortSignal): AsyncGenerator<ChatEvent> {
    const { request: r, prompt } = prepared;
    const room = this.maxContext - prompt.ids.length;
    const params: Partial<SamplingParams> = {
      temperature: r.temperature,
      topP: r.topP,
      topK: r.topK,
      logprobs: r.logprobs,
      topLogprobs: r.topLogprobs,
      maxNewTokens: Math.min(r.maxTokens ?? room, room),
      stopTokens: this.stopTokens,
      vocabLimit: this.tokenizer.vocabSize,
    };
    const gens = Array.from({ length: r.n }, (_, i) =>
      this.scheduler.submit(prompt.ids, { ...params, seed: r.seed === undefined ? undefined : r.seed + i }),
    );
    const queue = new AsyncQueue<ChatEvent>();
    const cancelAll = () => {
      for (const g of gens) g.cancel();
      queue.close();
    };
    signal?.addEventListener('abort', cancelAll);
    let live = gens.length;
    gens.forEach((g, i) => {
      this.pump(g, i, r, prepared.raw ? 'raw' : prompt.startsInReasoning, queue).then(
        () => {
          if (--live === 0) queue.close();
        },
        (err: unknown) => {
          for (const h of gens) h.cancel();
          queue.close(err);
        },
      );
    });
    try {
      if (signal?.aborted) cancelAll();
      for await (const ev of queue) yield ev;
    } finally {
      signal?.removeEventListener('abort', cancelAll);
      for (const g of gens) g.cancel();
    }
  }

  /** Turns one generation's tokens into delta events. */
  private async pump(
    g: Generation,
    index: number,
    r: ChatRequest,
    startsInReasoning: boolean | 'raw',
    out: AsyncQueue<ChatEvent>,
  ): Promise<void> {
    const decoder = new StreamDecoder(this.tokenizer);
    const stop = new StopMatcher(r.stop);
    const split: Pick<ReasoningSplitter, 'state' | 'push' | 'flush'> =
      startsInReasoning === 'raw'
        ? {
            state: 'content',
            push: (content) => ({ reasoning: '', content }),
            flush: () => ({ reasoning: '', content: '' }),
          }
        : new ReasoningSplitter(startsInReasoning);
    let reasoningTokens = 0;
    const send = (reasoning: string, content: string, logprobs?: TokenLogprob[]) => {
      if (reasoning || content || logprobs)
        out.push({ type: 'delta', index, reasoning, content, ...(logprobs ? { logprobs } : {}) });
    };
    for await (const t of g) {
      if (split.state !== 'content') reasoningTokens++;
      const d = split.push(stop.push(decoder.push(t.token)));
      const lp = t.logprob === undefined ? undefined : [this.tokenLogprob(t.token, t.logprob, t.top ?? [])];
      send(d.reasoning, d.content, lp);
      if (stop.stopped) {
        g.cancel();
        break;
      }
    }
    if (g.finishReason === 'cancelled' && !stop.stopped) return; // the client went away
    const tail = stop.push(decoder.flush()) + stop.flush();
    const a = split.push(tail),
      b = split.flush();
    send(a.reasoning + b.reasoning, a.content + b.content);
    const reason = stop.stopped || g.finishReason === 'stop' ? 'stop' : 'length';
    out.push({ type: 'finish', index, reason, completionTokens: g.completionTokens, reasoningTokens });
  }

  private tokenText(token: number, logprob: number): TokenText {
    const bytes = Array.from(this.tokenizer.decodeBytes([token]));
    return { token: new TextDecoder().decode(Uint8Array.from(bytes)), logprob, bytes };
  }

  private tokenLogprob(
    token: number,
    logprob: number,
    top: ReadonlyArray<{ token: number; logprob: number }>,
  ): TokenLogprob {
    return { ...this.tokenText(token, logprob), top_logprobs: top.map((t) => this.tokenText(t.token, t.logprob)) };
  }
}
