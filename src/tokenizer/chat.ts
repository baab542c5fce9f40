/**
 * Chat formats of DeepSeek-R1 (R1 paper, section 2.2.1 and the released tokenizer_config.json):
 * - the R1 layout `<｜begin▁of▁sentence｜>{system}<｜User｜>{prompt}<｜Assistant｜><think>\n`, used for
 *   SFT, RL on the chat model and generation; rendered with the tokenizer's Jinja `chat_template`
 *   (via @huggingface/jinja) when it has one, natively otherwise;
 * - the R1-Zero template (paper Table 1) for RL straight from a base model;
 * - parsing a completion back into its reasoning (inside <think>) and its answer.
 */
import { Template } from '@huggingface/jinja';
import { ANSWER_CLOSE, ANSWER_OPEN, ASSISTANT, BOS, EOS, THINK_CLOSE, THINK_OPEN, USER } from './special-tokens.js';

/** One chat message. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** Jinja form of the R1 layout, written into tokenizer_config.json of tokenizers trained here. */
export const R1_CHAT_TEMPLATE =
  "{{ bos_token }}{% for m in messages %}{% if m['role'] == 'system' %}{{ m['content'] }}{% endif %}{% endfor %}" +
  "{% for m in messages %}{% if m['role'] == 'user' %}{{ '" +
  USER +
  "' + m['content'] }}" +
  "{% elif m['role'] == 'assistant' %}{{ '" +
  ASSISTANT +
  "' + m['content'] + eos_token }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '" +
  ASSISTANT +
  THINK_OPEN +
  "\\n' }}{% endif %}";

/**
 * Jinja form of the R1-Zero template for serving a model trained on it (a base model after R1-Zero
 * GRPO): each user turn becomes `User: {prompt}.` after the template's preamble, and the generation
 * prompt is `Assistant: <think>\n`, exactly the text renderR1Zero + ` <think>\n` gives for one turn.
 */
export const R1_ZERO_CHAT_TEMPLATE =
  "{{ 'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. " +
  'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
  `The reasoning process and answer are enclosed within ${THINK_OPEN} ${THINK_CLOSE} and ${ANSWER_OPEN} ${ANSWER_CLOSE} tags, ` +
  `respectively, i.e., ${THINK_OPEN} reasoning process here ${THINK_CLOSE} ${ANSWER_OPEN} answer here ${ANSWER_CLOSE}.' }}` +
  "{% for m in messages %}{% if m['role'] == 'user' %}{% set c = m['content'] | trim %}" +
  "{% if c.endswith('.') or c.endswith('\u3002') %}{% set c = c[:-1] %}{% endif %}{{ ' User: ' + c + '.' }}" +
  "{% elif m['role'] == 'assistant' %}{{ ' Assistant: ' + m['content'] }}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ ' Assistant: " +
  THINK_OPEN +
  "\\n' }}{% endif %}";

/** Options for rendering a conversation. */
export interface RenderOptions {
  /** End with the assistant turn opened (and `<think>\n`), ready for generation. */
  addGenerationPrompt?: boolean;
  /** A Jinja chat_template; when absent the R1 layout is rendered natively. */
  chatTemplate?: string;
  bosToken?: string;
  eosToken?: string;
}

function checkMessages(messages: readonly ChatMessage[]): void {
  messages.forEach((m, i) => {
    if (!['system', 'user', 'assistant'].includes(m.role)) {
      throw new Error(`chat: messages[${i}].role is ${JSON.stringify(m.role)}; expected system, user or assistant`);
    }
    if (typeof m.content !== 'string') throw new Error(`chat: messages[${i}].content must be a string`);
  });
}

/** Renders the R1 layout natively: system prompts first, then turns, assistant turns end in EOS. */
export function renderR1(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
  checkMessages(messages);
  const bos = options.bosToken ?? BOS,
    eos = options.eosToken ?? EOS;
  let out =
    bos +
    messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
  for (const m of messages) {
    if (m.role === 'user') out += USER + m.content;
    else if (m.role === 'assistant') out += ASSISTANT + m.content + eos;
  }
  if (options.addGenerationPrompt) out += `${ASSISTANT + THINK_OPEN}\n`;
  return out;
}

/** Renders with `options.chatTemplate` (Jinja) when given, else with the native R1 layout. */
export function renderChat(messages: readonly ChatMessage[], options: RenderOptions = {}): string {
  if (options.chatTemplate === undefined) return renderR1(messages, options);
  checkMessages(messages);
  let template: Template;
  try {
    template = new Template(options.chatTemplate);
  } catch (err) {
    throw new Error(`chat: chat_template does not parse as Jinja: ${(err as Error).message}`);
  }
  return template.render({
    messages: messages.map((m) => ({ role: m.role, content: m.content })),
    bos_token: options.bosToken ?? BOS,
    eos_token: options.eosToken ?? EOS,
    add_generation_prompt: options.addGenerationPrompt === true,
  });
}

/** The R1-Zero training template (R1 paper, Table 1), with `{prompt}` filled in. */
export function renderR1Zero(prompt: string): string {
  return (
    'A conversation between User and Assistant. The user asks a question, and the Assistant solves it. ' +
    'The assistant first thinks about the reasoning process in the mind and then provides the user with the answer. ' +
    `The reasoning process and answer are enclosed within ${THINK_OPEN} ${THINK_CLOSE} and ${ANSWER_OPEN} ${ANSWER_CLOSE} tags, ` +
    `respectively, i.e., ${THINK_OPEN} reasoning process here ${THINK_CLOSE} ${ANSWER_OPEN} answer here ${ANSWER_CLOSE}. ` +
    `User: ${prompt.replace(/[.。]\s*$/, '')}. Assistant:`
  );
}

/** A completion split into its parts. */
export interface ParsedCompletion {
  /** Text inside <think>...</think> (trimmed); '' when there is none. */
  reasoning: string;
  /** Text inside <answer>...</answer> when present, else the text after </think> (trimmed). */
  answer: string;
  /** True when a </think> closed the reasoning. */
  thinkClosed: boolean;
  /** True when an <answer>...</answer> pair followed the reasoning. */
  answerTagged: boolean;
}

/**
 * Parses a completion. It may start inside the reasoning (the R1 generation prompt already opened
 * `<think>`) or with its own `<think>` (R1-Zero). A trailing EOS is ignored.
 */
export function parseCompletion(completion: string): ParsedCompletion {
  let text = completion;
  const eosAt = text.indexOf(EOS);
  if (eosAt >= 0) text = text.slice(0, eosAt);
  const open = text.indexOf(THINK_OPEN);
  const close = text.indexOf(THINK_CLOSE);
  let reasoning = '';
  let rest = text;
  if (close >= 0) {
    const start = open >= 0 && open < close ? open + THINK_OPEN.length : 0;
    reasoning = text.slice(start, close).trim();
    rest = text.slice(close + THINK_CLOSE.length);
  }
  const a0 = rest.indexOf(ANSWER_OPEN);
  const a1 = a0 >= 0 ? rest.indexOf(ANSWER_CLOSE, a0) : -1;
  const answerTagged = a0 >= 0 && a1 >= 0;
  const answer = answerTagged ? rest.slice(a0 + ANSWER_OPEN.length, a1).trim() : rest.trim();
  return { reasoning, answer, thinkClosed: close >= 0, answerTagged };
}

/** The assistant message body for a solved problem: R1's `<think>` block then the tagged answer. */
export function assistantBody(reasoning: string, answer: string): string {
  return `${THINK_OPEN}\n${reasoning}\n${THINK_CLOSE}\n${ANSWER_OPEN}${answer}${ANSWER_CLOSE}`;
}
