/**
 * POST /v1/chat/completions as one generator of `chat.completion.chunk` objects (the tinygrad
 * serve.py pattern): streaming writes each chunk as a server-sent event, non-streaming folds the
 * same chunks into one `chat.completion`. Field layout follows DeepSeek's API: the thinking goes
 * to `reasoning_content`, the answer to `content`, in deltas and in the final message;
 * `usage.completion_tokens_details.reasoning_tokens` counts the thinking tokens.
 */
import { randomUUID } from 'node:crypto';
import type { ChatEvent, ChatService, PreparedChat, TokenLogprob } from './chat-service.js';

/** Token counts of a request. */
export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  completion_tokens_details: { reasoning_tokens: number };
}

/** One streamed chunk (OpenAI `chat.completion.chunk`). */
export interface CompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    delta: { role?: 'assistant'; content?: string | null; reasoning_content?: string | null };
    logprobs: { content: TokenLogprob[] } | null;
    finish_reason: 'stop' | 'length' | null;
  }>;
  usage?: Usage | null;
}

/** A folded, non-streaming reply (OpenAI `chat.completion`). */
export interface Completion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string; reasoning_content: string | null };
    logprobs: { content: TokenLogprob[] } | null;
    finish_reason: 'stop' | 'length' | null;
  }>;
  usage: Usage;
}

export const SYSTEM_FINGERPRINT = 'deepseek-ts';

/**
 * The chunks of one request: a role chunk per choice, the deltas, a finish chunk per choice, and a
 * final usage chunk (choices: []) when `includeUsage`.
 */
export async function* completionChunks(
  service: ChatService,
  prepared: PreparedChat,
  model: string,
  includeUsage: boolean,
  signal?: AbortSignal,
): AsyncGenerator<CompletionChunk> {
  const base = {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion.chunk' as const,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const chunk = (choice: CompletionChunk['choices'][number]): CompletionChunk => ({
    ...base,
    choices: [choice],
    ...(includeUsage ? { usage: null } : {}),
  });
  const { n } = prepared.request;
  let completion = 0,
    reasoning = 0;
  for (let i = 0; i < n; i++) {
    yield chunk({
      index: i,
      delta: { role: 'assistant', content: null, reasoning_content: prepared.prompt.startsInReasoning ? '' : null },
      logprobs: null,
      finish_reason: null,
    });
  }
  for await (const ev of service.stream(prepared, signal) as AsyncGenerator<ChatEvent>) {
    if (ev.type === 'delta') {
      const delta = ev.reasoning
        ? { content: ev.content || null, reasoning_content: ev.reasoning }
        : { content: ev.content, reasoning_content: null };
      yield chunk({
        index: ev.index,
        delta,
        logprobs: ev.logprobs ? { content: ev.logprobs } : null,
        finish_reason: null,
      });
    } else {
      completion += ev.completionTokens;
      reasoning += ev.reasoningTokens;
      yield chunk({ index: ev.index, delta: {}, logprobs: null, finish_reason: ev.reason });
    }
  }
  if (includeUsage) {
    const prompt = prepared.prompt.ids.length;
    yield {
      ...base,
      choices: [],
      usage: {
        prompt_tokens: prompt,
        completion_tokens: completion,
        total_tokens: prompt + completion,
        completion_tokens_details: { reasoning_tokens: reasoning },
      },
    };
  }
}

/** Folds a chunk stream (with its usage chunk) into one completion. */
export async function foldChunks(chunks: AsyncIterable<CompletionChunk>): Promise<Completion> {
  let head: CompletionChunk | undefined;
  let usage: Usage | undefined;
  const choices: Completion['choices'] = [];
  for await (const c of chunks) {
    head ??= c;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      const acc = (choices[ch.index] ??= {
        index: ch.index,
        message: { role: 'assistant', content: '', reasoning_content: null },
        logprobs: null,
        finish_reason: null,
      });
      if (ch.delta.content) acc.message.content += ch.delta.content;
      if (typeof ch.delta.reasoning_content === 'string')
        acc.message.reasoning_content = (acc.message.reasoning_content ?? '') + ch.delta.reasoning_content;
      if (ch.logprobs) {
        const into = (acc.logprobs ??= { content: [] }).content;
        for (const lp of ch.logprobs.content) into.push(lp);
      }
      if (ch.finish_reason) acc.finish_reason = ch.finish_reason;
    }
  }
  if (!head || !usage) throw new Error('foldChunks: the chunk stream ended without its usage chunk');
  return {
    id: head.id,
    object: 'chat.completion',
    created: head.created,
    model: head.model,
    system_fingerprint: head.system_fingerprint,
    choices,
    usage,
  };
}
