/**
 * A pretraining document: a problem's prompt in one of the two layouts the model learns (the R1-Zero
 * template of R1 paper Table 1, or R1's chat layout), then a response. The prompt part is rendered
 * and encoded by the task template (src/rl/prompts.ts), the same code that encodes RL, evaluation
 * and (through the chat template) serving prompts: the question is plain text, so a prompt that
 * mentions `<think>` is the same tokens in the corpus as through the chat API. The response is
 * written by us and keeps its added tokens (`<think>`, `</think>`, `<answer>`).
 */
import { TEMPLATES } from '../rl/prompts.js';
import { assistantBody } from '../tokenizer/chat.js';
import { ANSWER_CLOSE, ANSWER_OPEN, THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';
import { type AddedSpellings, encodeSegments, type PromptSegment } from '../tokenizer/prompt-plan.js';
import type { Tokenizer } from '../tokenizer/types.js';

/** A document's text and the parts it was made from. */
export interface DocumentText {
  /** The whole document (without the EOS the shard writer adds). */
  text: string;
  /** The question as the template received it. */
  prompt: string;
  /** 'chat' for R1's chat layout; absent for the R1-Zero template. */
  layout?: 'chat';
}

/** The R1-Zero layout: the template, then ` <think>\n{reasoning}\n</think> <answer>{answer}</answer>`. */
export function r1ZeroDocument(prompt: string, reasoning: string, answer: string): DocumentText {
  const head = TEMPLATES['r1-zero'].render({ prompt });
  return { text: `${head} ${THINK_OPEN}\n${reasoning}\n${THINK_CLOSE} ${ANSWER_OPEN}${answer}${ANSWER_CLOSE}`, prompt };
}

/** R1's chat layout: BOS, `<｜User｜>`, the question, `<｜Assistant｜><think>\n`, the reasoning and answer. */
export function chatDocument(prompt: string, reasoning: string, answer: string): DocumentText {
  const head = TEMPLATES.r1.render({ prompt });
  const body = assistantBody(reasoning, answer);
  // The generation prompt already opened `<think>\n`; the body starts with it.
  return { text: head + body.slice(`${THINK_OPEN}\n`.length), prompt, layout: 'chat' };
}

/** The template of a document's layout. */
function templateOf(d: DocumentText) {
  return d.layout === 'chat' ? TEMPLATES.r1 : TEMPLATES['r1-zero'];
}

/**
 * A document as segments: the prompt's (its question plain) and the response (added tokens kept).
 * The tokenizer trainer counts words from these, so it learns merges for the question's plain tag
 * spellings, and the shards encode exactly these.
 */
export function documentSegments(
  tok: AddedSpellings,
  d: DocumentText,
): { prompt: PromptSegment[]; response: PromptSegment } {
  if (typeof d.prompt !== 'string')
    throw new Error(
      'corpus document: no "prompt" field (a corpus written before 2026-12-02); rebuild it with `deepseek-ts data build`',
    );
  const t = templateOf(d);
  const head = t.render(d);
  if (!d.text.startsWith(head))
    throw new Error(
      `corpus document: its text does not start with the ${d.layout ?? 'r1-zero'} prompt of its "prompt" field; rebuild the corpus`,
    );
  return { prompt: t.segments(tok, d), response: { text: d.text.slice(head.length), plain: false } };
}

/** Token ids of a document's prompt and of its response (no EOS). */
export function encodeDocumentParts(tok: Tokenizer, d: DocumentText): { prompt: number[]; response: number[] } {
  const s = documentSegments(tok, d);
  return { prompt: encodeSegments(tok, s.prompt), response: encodeSegments(tok, [s.response]) };
}

/** Token ids of a whole document (no EOS). */
export function encodeDocument(tok: Tokenizer, d: DocumentText): number[] {
  const { prompt, response } = encodeDocumentParts(tok, d);
  for (const id of response) prompt.push(id);
  return prompt;
}
