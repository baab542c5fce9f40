/**
 * Messages to prompt token ids: the one encoder of prompts for serving, RL rollouts, evaluation and
 * the pretraining corpus, so a question is the same tokens wherever it is asked. The conversation is
 * rendered by a template (the tokenizer's chat template when serving: its Jinja template, or R1's
 * layout, which ends with the forced `<think>\n` opening; a task template of src/rl/prompts.ts for
 * training and evaluation). Message texts are always encoded as plain text, never as added or
 * special tokens, under every template: a user cannot forge `<｜Assistant｜>` or `</think>`, someone
 * studying R1 who types `<think>` gets it back as text, and a task prompt that mentions the tags
 * (TinyZero's countdown wording) is the same tokens in the corpus as through the chat API.
 *
 * Two plans, both a list of segments (template text, encoded with added tokens matched; message
 * text, encoded plain):
 * - exact split, when the template puts each text in verbatim between added tokens (R1's layout):
 *   render with a placeholder per message; the pieces between placeholders are the template;
 * - otherwise (a template that edits the text or joins it to plain words, such as R1-Zero's
 *   " User: " + the question without its final period + "."), the conversation is rendered as one
 *   string, as training saw it, after each added-token spelling inside a message was swapped for a
 *   marker; the markers become plain-text segments. Text without such spellings encodes exactly as
 *   the one rendered string.
 * As in R1's released template, earlier assistant turns keep only their answer (after `</think>`).
 */
import { renderChat, type ChatMessage } from './chat.js';
import type { Tokenizer } from './types.js';

/** What planning a prompt needs of a tokenizer: the spellings of its added tokens. */
export interface AddedSpellings {
  readonly addedTokens: readonly { readonly content: string }[];
}

/** What prompt encoding needs of a tokenizer. */
export type PromptTokenizer = Pick<Tokenizer, 'encode' | 'addedTokens'>;

/** Renders a conversation as prompt text (the assistant turn opened). */
export type RenderPrompt = (messages: readonly ChatMessage[]) => string;

/** A prompt ready for generation. */
export interface EncodedPrompt {
  ids: number[];
  /** True when the prompt ends inside an opened `<think>`: the output starts as reasoning. */
  startsInReasoning: boolean;
}

/** A message the chat template cannot encode safely (the API answers it with a 400 naming `param`). */
export class MessageContentError extends Error {
  constructor(
    message: string,
    readonly param = 'messages',
    readonly code = 'invalid_message_content',
  ) {
    super(message);
  }
}

/** Text to encode: `plain` segments come from messages and never become added tokens. */
export interface PromptSegment {
  text: string;
  plain: boolean;
}

/** The segments of a conversation, before tokenizing. */
export interface PromptPlan {
  segments: PromptSegment[];
  startsInReasoning: boolean;
}

const placeholder = (i: number) => `\u0000\u0001msg${i}\u0001\u0000`;
const MARKER = /\uE000(\d+)\uE001/g;

/** What an earlier turn contributes to the prompt: assistant turns lose their reasoning. */
function visibleContent(m: ChatMessage): string {
  if (m.role !== 'assistant') return m.content;
  const i = m.content.lastIndexOf('</think>');
  return i < 0 ? m.content : m.content.slice(i + '</think>'.length).trimStart();
}

/** True when `text` ends (or, with `atStart`, starts) with an added token, or is empty. */
function addedTokenEdge(tokenizer: AddedSpellings, text: string, atStart: boolean): boolean {
  if (text === '') return true;
  return tokenizer.addedTokens.some((t) => (atStart ? text.startsWith(t.content) : text.endsWith(t.content)));
}

/** Matches any added token's spelling, longest first. */
function addedTokenPattern(tokenizer: AddedSpellings): RegExp | undefined {
  const spellings = tokenizer.addedTokens.map((t) => t.content).filter((s) => s.length > 0);
  if (spellings.length === 0) return undefined;
  spellings.sort((a, b) => b.length - a.length);
  return new RegExp(spellings.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
}

/** The tokenizer's own chat template (or R1's layout), with the assistant turn opened: the serving render. */
export function chatRender(tokenizer: Tokenizer): RenderPrompt {
  const options = {
    addGenerationPrompt: true,
    chatTemplate: tokenizer.chatTemplate,
    bosToken: tokenizer.specialTokens.bos,
    eosToken: tokenizer.specialTokens.eos,
  };
  return (messages) => renderChat(messages, options);
}

/** Plans the encoding of a conversation for generation, rendered by `render` (serving: chatRender). */
export function planChat(
  tokenizer: AddedSpellings,
  messages: readonly ChatMessage[],
  render: RenderPrompt,
): PromptPlan {
  const cleaned = messages.map(visibleContent);
  const rendered = render(messages.map((m, i) => ({ role: m.role, content: placeholder(i) })));
  messages.forEach((m, i) => {
    if (m.role === 'system' && !rendered.includes(placeholder(i)))
      throw new MessageContentError(
        `messages[${i}] is a system message, but this model's chat template has no place for a system ` +
          `message (it would be dropped); put the instructions in the first user message instead`,
        `messages[${i}]`,
        'unsupported_system_message',
      );
  });
  // The placeholder rendering holds no user text, so a `<think>` typed by the user cannot flip this.
  const startsInReasoning = rendered.lastIndexOf('<think>') > rendered.lastIndexOf('</think>');
  const text = render(messages.map((m, i) => ({ role: m.role, content: cleaned[i]! })));
  const pieces: string[] = [];
  let rest = rendered;
  let ok = true;
  for (let i = 0; i < messages.length && ok; i++) {
    const at = rest.indexOf(placeholder(i));
    if (at < 0 || rest.indexOf(placeholder(i), at + 1) >= 0) ok = false;
    else {
      pieces.push(rest.slice(0, at));
      rest = rest.slice(at + placeholder(i).length);
    }
  }
  // Exact split: texts put in verbatim, each between added tokens (no BPE merge crosses an edge).
  ok =
    ok &&
    pieces.map((p, i) => p + cleaned[i]).join('') + rest === text &&
    pieces.every(
      (p, i) =>
        addedTokenEdge(tokenizer, p, false) &&
        addedTokenEdge(tokenizer, i + 1 < pieces.length ? pieces[i + 1]! : rest, true),
    );
  if (ok) {
    const segments: PromptSegment[] = [];
    pieces.forEach((p, i) => {
      segments.push({ text: p, plain: false }, { text: cleaned[i]!, plain: true });
    });
    segments.push({ text: rest, plain: false });
    return { segments, startsInReasoning };
  }
  return { segments: markedSegments(tokenizer, messages, cleaned, render), startsInReasoning };
}

/** One rendered string, with every added-token spelling of a message kept out as a plain segment. */
function markedSegments(
  tokenizer: AddedSpellings,
  messages: readonly ChatMessage[],
  cleaned: readonly string[],
  render: RenderPrompt,
): PromptSegment[] {
  const pattern = addedTokenPattern(tokenizer);
  const forged: string[] = [];
  const marked = cleaned.map((c) =>
    pattern === undefined
      ? c
      : c.replace(pattern, (s) => {
          forged.push(s);
          return `\uE000${forged.length - 1}\uE001`;
        }),
  );
  const text = render(messages.map((m, i) => ({ role: m.role, content: marked[i]! })));
  const segments: PromptSegment[] = [];
  let at = 0,
    next = 0;
  for (const m of text.matchAll(MARKER)) {
    if (Number(m[1]) !== next++)
      throw new MessageContentError(
        "a message holds control-token text that this model's chat template moves or repeats; remove the control-token text from the messages",
      );
    segments.push({ text: text.slice(at, m.index), plain: false }, { text: forged[Number(m[1])]!, plain: true });
    at = m.index + m[0].length;
  }
  if (next !== forged.length)
    throw new MessageContentError(
      "a message holds control-token text that this model's chat template drops; remove the control-token text from the messages",
    );
  segments.push({ text: text.slice(at), plain: false });
  return segments;
}

/** Token ids of one segment. */
export function encodeSegment(tokenizer: PromptTokenizer, s: PromptSegment): number[] {
  return s.plain ? tokenizer.encode(s.text) : tokenizer.encode(s.text, { allowSpecial: true });
}

/** Token ids of segments, in order. */
export function encodeSegments(tokenizer: PromptTokenizer, segments: readonly PromptSegment[]): number[] {
  const ids: number[] = [];
  for (const s of segments) for (const id of encodeSegment(tokenizer, s)) ids.push(id);
  return ids;
}

/** Encodes a conversation for generation (assistant turn opened), rendered by `render` (serving: chatRender). */
export function encodeChat(
  tokenizer: PromptTokenizer,
  messages: readonly ChatMessage[],
  render: RenderPrompt,
): EncodedPrompt {
  const plan = planChat(tokenizer, messages, render);
  return { ids: encodeSegments(tokenizer, plan.segments), startsInReasoning: plan.startsInReasoning };
}
