/**
 * Chat messages to prompt token ids. The conversation is rendered with the tokenizer's chat template
 * (src/tokenizer/chat.ts: its Jinja template, or R1's layout, which ends with the forced `<think>\n`
 * opening). Message texts are encoded as plain text, never as control tokens, so a user cannot
 * forge `<｜Assistant｜>` or `</think>`: the template is rendered with a placeholder per message,
 * template pieces are encoded with special tokens allowed and message texts without. As in R1's
 * released template, earlier assistant turns keep only their answer (the text after `</think>`).
 */
import { renderChat, type ChatMessage } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';

/** A prompt ready for generation. */
export interface EncodedPrompt {
  ids: number[];
  /** True when the prompt ends inside an opened `<think>`: the output starts as reasoning. */
  startsInReasoning: boolean;
}

const placeholder = (i: number) => `\u0000\u0001msg${i}\u0001\u0000`;

/** What an earlier turn contributes to the prompt: assistant turns lose their reasoning. */
function visibleContent(m: ChatMessage): string {
  if (m.role !== 'assistant') return m.content;
  const i = m.content.lastIndexOf('</think>');
  return i < 0 ? m.content : m.content.slice(i + '</think>'.length).trimStart();
}

/** Encodes a conversation for generation (assistant turn opened). */
export function encodeChat(tokenizer: Tokenizer, messages: readonly ChatMessage[]): EncodedPrompt {
  const cleaned = messages.map(visibleContent);
  const options = {
    addGenerationPrompt: true,
    chatTemplate: tokenizer.chatTemplate,
    bosToken: tokenizer.specialTokens.bos,
    eosToken: tokenizer.specialTokens.eos,
  };
  const rendered = renderChat(messages.map((m, i) => ({ role: m.role, content: placeholder(i) })), options);
  const pieces: string[] = [];
  let rest = rendered;
  let ok = true;
  for (let i = 0; i < messages.length && ok; i++) {
    const at = rest.indexOf(placeholder(i));
    if (at < 0 || rest.indexOf(placeholder(i), at + 1) >= 0) ok = false;
    else { pieces.push(rest.slice(0, at)); rest = rest.slice(at + placeholder(i).length); }
  }
  let ids: number[];
  let tail: string;
  if (ok) {
    ids = [];
    pieces.forEach((p, i) => { ids.push(...tokenizer.encode(p, { allowSpecial: true }), ...tokenizer.encode(cleaned[i]!)); });
    ids.push(...tokenizer.encode(rest, { allowSpecial: true }));
    tail = rest;
  } else {
    // A template that moves or repeats message text: render it for real (control tokens in
    // messages are then not escaped).
    const text = renderChat(messages.map((m, i) => ({ role: m.role, content: cleaned[i]! })), options);
    ids = tokenizer.encode(text, { allowSpecial: true });
    tail = text;
  }
  return { ids, startsInReasoning: tail.lastIndexOf('<think>') > tail.lastIndexOf('</think>') };
}
