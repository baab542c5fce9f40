/**
 * Chat messages to prompt token ids. The conversation is rendered with the tokenizer's chat template
 * (src/tokenizer/chat.ts: its Jinja template, or R1's layout, which ends with the forced `<think>\n`
 * opening). Message texts are encoded as plain text, never as control tokens, so a user cannot
 * forge `<｜Assistant｜>` or `</think>`: the template is rendered with a placeholder per message,
 * template pieces are encoded with special tokens allowed and message texts without. That split is
 * exact only when the template puts each text in verbatim between added tokens (R1's layout); a
 * template that edits the text or joins it to plain words (the R1-Zero template: " User: " + the
 * question without its final period + ".") is encoded as one rendered string instead, exactly as
 * the model saw it in training, and then a message may not contain a special token (BOS, EOS,
 * pad): that is an error. As in R1's released template, earlier assistant turns keep only their
 * answer (the text after `</think>`).
 */
import { renderChat, type ChatMessage } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';

/** A prompt ready for generation. */
export interface EncodedPrompt {
  ids: number[];
  /** True when the prompt ends inside an opened `<think>`: the output starts as reasoning. */
  startsInReasoning: boolean;
}

/** A message the chat template cannot encode safely (the API answers it with a 400). */
export class MessageContentError extends Error {}

const placeholder = (i: number) => `\u0000\u0001msg${i}\u0001\u0000`;

/** What an earlier turn contributes to the prompt: assistant turns lose their reasoning. */
function visibleContent(m: ChatMessage): string {
  if (m.role !== 'assistant') return m.content;
  const i = m.content.lastIndexOf('</think>');
  return i < 0 ? m.content : m.content.slice(i + '</think>'.length).trimStart();
}

/** True when `text` ends (or, with `atStart`, starts) with an added token, or is empty. */
function addedTokenEdge(tokenizer: Tokenizer, text: string, atStart: boolean): boolean {
  if (text === '') return true;
  return tokenizer.addedTokens.some((t) => (atStart ? text.startsWith(t.content) : text.endsWith(t.content)));
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
  const text = renderChat(
    messages.map((m, i) => ({ role: m.role, content: cleaned[i]! })),
    options,
  );
  const rendered = renderChat(
    messages.map((m, i) => ({ role: m.role, content: placeholder(i) })),
    options,
  );
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
  let ids: number[];
  let tail: string;
  if (ok) {
    ids = [];
    pieces.forEach((p, i) => {
      ids.push(...tokenizer.encode(p, { allowSpecial: true }), ...tokenizer.encode(cleaned[i]!));
    });
    ids.push(...tokenizer.encode(rest, { allowSpecial: true }));
    tail = rest;
  } else {
    // Encode the rendered conversation as one string, as training did; control tokens cannot come from a message.
    messages.forEach((_, i) => {
      const forged = tokenizer.addedTokens.find((t) => t.special && cleaned[i]!.includes(t.content));
      if (forged)
        throw new MessageContentError(
          `messages[${i}].content contains the control token ${forged.content}, which this model's chat template cannot keep as plain text; remove it`,
        );
    });
    ids = tokenizer.encode(text, { allowSpecial: true });
    tail = text;
  }
  return { ids, startsInReasoning: tail.lastIndexOf('<think>') > tail.lastIndexOf('</think>') };
}
