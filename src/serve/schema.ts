/**
 * The request body of POST /v1/chat/completions, validated with zod: the fields of OpenAI's Chat
 * Completions API this server implements (plus `top_k`, as vLLM and SGLang accept it). Unknown
 * fields are refused, as OpenAI refuses them, rather than silently ignored. Defaults follow
 * DeepSeek-R1's recommendations (temperature 0.6, top_p 0.95).
 */
import { z } from 'zod';
import { R1_SAMPLING } from '../inference/sampling.js';
import type { ChatMessage } from '../tokenizer/chat.js';
import type { ChatRequest } from './chat-service.js';
import { ApiError, badRequest } from './errors.js';

const textPart = z.strictObject({ type: z.literal('text'), text: z.string() });

const message = z.strictObject({
  role: z.enum(['system', 'developer', 'user', 'assistant']),
  content: z.union([z.string(), z.array(textPart)]),
  name: z.string().optional(),
  /** Accepted so a client can send back a whole DeepSeek reply; never part of the prompt. */
  reasoning_content: z.string().nullable().optional(),
});

export const nullish = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** Sampling fields both completion endpoints take, with the same bounds (OpenAI's names). */
export const samplingFields = {
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  top_k: nullish(z.number().int().min(-1)),
  n: nullish(z.number().int().min(1).max(16)),
  seed: nullish(z.number().int()),
  stop: nullish(z.union([z.string(), z.array(z.string()).max(4)])),
  user: nullish(z.string()),
  frequency_penalty: nullish(z.literal(0)),
  presence_penalty: nullish(z.literal(0)),
};

export const chatCompletionBody = z.strictObject({
  model: z.string(),
  messages: z.array(message).min(1),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.strictObject({ include_usage: z.boolean().optional() })),
  max_tokens: nullish(z.number().int().min(1)),
  max_completion_tokens: nullish(z.number().int().min(1)),
  ...samplingFields,
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(z.number().int().min(0).max(20)),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBody>;

/** `a.b[0].c` from a zod issue path. */
function paramOf(path: readonly PropertyKey[]): string | null {
  if (path.length === 0) return null;
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

/** Validates a parsed JSON body; the first problem becomes a 400 naming the field. */
export function parseChatBody(body: unknown): ChatCompletionBody | ApiError {
  const r = parseBody(chatCompletionBody, body);
  if (!(r instanceof ApiError) && r.top_logprobs && !r.logprobs)
    return badRequest("'top_logprobs' needs 'logprobs': true", 'top_logprobs', 'invalid_value');
  return r;
}

/** Validates a body against `schema`; the first problem becomes a 400 naming the field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T | ApiError {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const where = paramOf(issue.path);
    return badRequest(
      `Unrecognized request argument supplied: ${issue.keys.join(', ')}${where ? ` (in ${where})` : ''}`,
      issue.keys[0] ?? null,
    );
  }
  const param = paramOf(issue.path);
  if (param === 'messages' && issue.code === 'too_small')
    return badRequest(
      "Invalid 'messages': empty array. Expected an array with at least one message.",
      'messages',
      'empty_array',
    );
  return badRequest(`Invalid value for '${param ?? 'body'}': ${issue.message}`, param, 'invalid_value');
}

/** The sampling part of an engine request, shared by both completion endpoints (R1's defaults). */
export function samplingRequest(b: {
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  seed?: number | null;
  stop?: string | string[] | null;
  n?: number | null;
}): Pick<ChatRequest, 'temperature' | 'topP' | 'topK' | 'seed' | 'stop' | 'n'> {
  const stop = b.stop == null ? [] : typeof b.stop === 'string' ? [b.stop] : b.stop;
  return {
    temperature: b.temperature ?? R1_SAMPLING.temperature,
    topP: b.top_p ?? R1_SAMPLING.topP,
    topK: b.top_k == null || b.top_k < 0 ? 0 : b.top_k,
    seed: b.seed ?? undefined,
    stop: stop.filter((s) => s.length > 0),
    n: b.n ?? 1,
  };
}

/** The engine-level request for a validated body. */
export function toChatRequest(b: ChatCompletionBody): ChatRequest {
  const messages: ChatMessage[] = b.messages.map((m) => ({
    role: m.role === 'developer' ? 'system' : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''),
  }));
  return {
    messages,
    maxTokens: b.max_completion_tokens ?? b.max_tokens ?? undefined,
    ...samplingRequest(b),
    logprobs: b.logprobs ?? false,
    topLogprobs: b.top_logprobs ?? undefined,
  };
}
