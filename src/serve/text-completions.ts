/**
 * POST /v1/completions, OpenAI's legacy text endpoint, which vLLM, llama.cpp's server and TRL-style
 * remote rollouts use: `prompt` is text, token ids, or a list of either; each prompt gets `n`
 * choices (index = prompt * n + choice). The text is the raw continuation (no reasoning split, no
 * trimming); `echo` puts the prompt in front; `logprobs: k` gives each token's log-probability and
 * the k most likely tokens. A prompt given as text is the model's raw input: added tokens in it are
 * matched (as vLLM does), unlike chat messages. Like the chat endpoint it is one generator of
 * chunks, folded for non-streaming replies.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AsyncQueue } from '../inference/async-queue.js';
import type { ChatEvent, ChatRequest, ChatService, PreparedChat } from './chat-service.js';
import { SYSTEM_FINGERPRINT } from './completions.js';
import { badRequest } from './errors.js';
import { nullish, samplingFields, samplingRequest } from './schema.js';

const tokenIds = z.array(z.number().int()).min(1);

export const textCompletionBody = z.strictObject({
  model: z.string(),
  prompt: z.union([z.string(), z.array(z.string()).min(1), tokenIds, z.array(tokenIds).min(1)]),
  max_tokens: nullish(z.number().int().min(1)),
  ...samplingFields,
  stream: nullish(z.boolean()),
  stream_options: nullish(z.strictObject({ include_usage: z.boolean().optional() })),
  logprobs: nullish(z.number().int().min(0).max(20)),
  echo: nullish(z.boolean()),
  suffix: nullish(z.null()),
  best_of: nullish(z.literal(1)),
});

export type TextCompletionBody = z.infer<typeof textCompletionBody>;

/** OpenAI's legacy logprobs object (per chunk: the tokens of that chunk). */
export interface TextLogprobs {
  tokens: string[];
  token_logprobs: number[];
  top_logprobs: Array<Record<string, number>>;
  text_offset: number[];
}

/** One `text_completion` object (a streamed chunk, or the folded reply). */
export interface TextCompletion {
  id: string;
  object: 'text_completion';
  created: number;
  model: string;
  system_fingerprint: string;
  choices: Array<{
    index: number;
    text: string;
    logprobs: TextLogprobs | null;
    finish_reason: 'stop' | 'length' | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** Splits and checks `prompt` (text, ids, or lists of them) into id lists. */
export function promptIds(service: ChatService, b: TextCompletionBody, maxTokens: number): number[][] {
  const p = b.prompt;
  const lists: number[][] =
    typeof p === 'string'
      ? [service.tokenizer.encode(p, { allowSpecial: true })]
      : p.every((x) => typeof x === 'number')
        ? [p as number[]]
        : (p as Array<string | number[]>).map((x) =>
            typeof x === 'string' ? service.tokenizer.encode(x, { allowSpecial: true }) : x,
          );
  const vocab = service.tokenizer.vocabSize,
    ctx = service.maxContext;
  lists.forEach((ids, i) => {
    const where = lists.length > 1 ? ` (prompt ${i})` : '';
    if (ids.length === 0) throw badRequest(`The prompt is empty${where}; send at least one token`, 'prompt');
    const bad = ids.find((t) => !(t >= 0 && t < vocab));
    if (bad !== undefined)
      throw badRequest(
        `Token id ${bad}${where} is not in this model's vocabulary [0, ${vocab})`,
        'prompt',
        'invalid_value',
      );
    if (ids.length + maxTokens > ctx)
      throw badRequest(
        `This model's maximum context length is ${ctx} tokens. However, you requested ${ids.length + maxTokens} ` +
          `tokens (${ids.length} in your prompt${where}; ${maxTokens} for the completion). Please reduce your prompt; or completion length.`,
        'prompt',
        'context_length_exceeded',
      );
  });
  return lists;
}

/** The engine request of a body (max_tokens defaults to 16, as OpenAI's does). */
export function textRequest(b: TextCompletionBody): ChatRequest {
  if (b.echo && b.logprobs != null)
    throw badRequest(
      "'echo' with 'logprobs' is not supported: this server does not score prompt tokens; drop one of them",
      'echo',
    );
  return {
    messages: [],
    maxTokens: b.max_tokens ?? 16,
    ...samplingRequest(b),
    logprobs: b.logprobs != null,
    topLogprobs: b.logprobs ?? undefined,
  };
}

/** The chunks of a request: per choice its deltas (the echoed prompt first) and a finish chunk; then usage. */
export async function* textCompletionChunks(
  service: ChatService,
  request: ChatRequest,
  prompts: readonly number[][],
  model: string,
  options: { echo: boolean; includeUsage: boolean },
  signal?: AbortSignal,
): AsyncGenerator<TextCompletion> {
  const base = {
    id: `cmpl-${randomUUID()}`,
    object: 'text_completion' as const,
    created: Math.floor(Date.now() / 1000),
    model,
    system_fingerprint: SYSTEM_FINGERPRINT,
  };
  const n = request.n;
  const chunk = (choice: TextCompletion['choices'][number]): TextCompletion => ({
    ...base,
    choices: [choice],
    ...(options.includeUsage ? { usage: null } : {}),
  });
  const offsets = new Array<number>(prompts.length * n).fill(0);
  if (options.echo)
    for (let p = 0; p < prompts.length; p++) {
      const text = service.tokenizer.decode(prompts[p]!);
      for (let i = 0; i < n; i++) {
        offsets[p * n + i] = text.length;
        yield chunk({ index: p * n + i, text, logprobs: null, finish_reason: null });
      }
    }
  // Every prompt's choices run at once; their events are merged as they come.
  const merged = new AsyncQueue<{ p: number; ev: ChatEvent }>();
  let live = prompts.length;
  const streams = prompts.map((ids) => {
    const prepared: PreparedChat = { request, prompt: { ids: [...ids], startsInReasoning: false }, raw: true };
    return service.stream(prepared, signal);
  });
  streams.forEach((s, p) => {
    (async () => {
      for await (const ev of s) merged.push({ p, ev });
    })().then(
      () => {
        if (--live === 0) merged.close();
      },
      (err: unknown) => merged.close(err),
    );
  });
  let completion = 0;
  try {
    for await (const { p, ev } of merged) {
      const index = p * n + ev.index;
      if (ev.type === 'finish') {
        completion += ev.completionTokens;
        yield chunk({ index, text: '', logprobs: null, finish_reason: ev.reason });
        continue;
      }
      let logprobs: TextLogprobs | null = null;
      if (ev.logprobs) {
        logprobs = { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
        for (const lp of ev.logprobs) {
          logprobs.tokens.push(lp.token);
          logprobs.token_logprobs.push(lp.logprob);
          logprobs.top_logprobs.push(Object.fromEntries(lp.top_logprobs.map((t) => [t.token, t.logprob])));
          logprobs.text_offset.push(offsets[index]!);
          offsets[index]! += lp.token.length;
        }
      }
      yield chunk({ index, text: ev.content, logprobs, finish_reason: null });
    }
  } finally {
    for (const s of streams) void s.return(undefined);
  }
  if (options.includeUsage) {
    const prompt = prompts.reduce((a, ids) => a + ids.length, 0);
    yield {
      ...base,
      choices: [],
      usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
    };
  }
}

/** Folds the chunks (with their usage chunk) into one `text_completion`. */
export async function foldTextChunks(chunks: AsyncIterable<TextCompletion>): Promise<TextCompletion> {
  let head: TextCompletion | undefined;
  let usage: TextCompletion['usage'];
  const choices: TextCompletion['choices'] = [];
  for await (const c of chunks) {
    head ??= c;
    if (c.usage) usage = c.usage;
    for (const ch of c.choices) {
      const acc = (choices[ch.index] ??= { index: ch.index, text: '', logprobs: null, finish_reason: null });
      acc.text += ch.text;
      if (ch.logprobs) {
        const into = (acc.logprobs ??= { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] });
        ch.logprobs.tokens.forEach((t, i) => {
          into.tokens.push(t);
          into.token_logprobs.push(ch.logprobs!.token_logprobs[i]!);
          into.top_logprobs.push(ch.logprobs!.top_logprobs[i]!);
          into.text_offset.push(ch.logprobs!.text_offset[i]!);
        });
      }
      if (ch.finish_reason) acc.finish_reason = ch.finish_reason;
    }
  }
  if (!head || !usage) throw new Error('foldTextChunks: the chunk stream ended without its usage chunk');
  return { ...head, choices, usage };
}
