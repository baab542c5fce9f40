/**
 * SFT records (R1 paper 2.3.1 cold start and 2.3.3 rejection-sampling SFT): a user prompt and an
 * assistant reply `<think>...</think><answer>...</answer>` in chat form, tokenized in the R1 layout
 * with a loss mask that is 1 exactly on the assistant reply and its closing EOS.
 */
import { ASSISTANT, USER } from '../tokenizer/special-tokens.js';
import { assistantBody, type ChatMessage } from '../tokenizer/chat.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { Problem } from '../tasks/types.js';
import type { Trace } from './traces.js';

/** One SFT example as stored in sft.jsonl. */
export interface SftRecord {
  task: string;
  key: string;
  lang: string;
  messages: ChatMessage[];
}

/** A problem and a trace as a two-turn conversation. */
export function sftRecord(problem: Problem, trace: Trace): SftRecord {
  return {
    task: problem.task,
    key: problem.key,
    lang: problem.lang,
    messages: [
      { role: 'user', content: problem.prompt },
      { role: 'assistant', content: assistantBody(trace.reasoning, trace.answer) },
    ],
  };
}

/** Token ids and the loss mask (1 = train on this token). */
export interface MaskedTokens {
  ids: number[];
  mask: number[];
}

/**
 * Tokenizes messages in the R1 layout. User and system text is encoded with allowSpecial=false
 * (it cannot forge control tokens); the layout's markers and the assistant replies (written by
 * us or by a model) with added tokens allowed. Pieces meet at added tokens, so encoding them one
 * by one equals encoding the whole rendering.
 */
export function tokenizeChat(messages: readonly ChatMessage[], tok: Tokenizer): MaskedTokens {
  const { bos, eos } = tok.specialTokens;
  if (tok.bosId === undefined || tok.eosId === undefined || bos === undefined || eos === undefined) {
    throw new Error('tokenizeChat: the tokenizer has no bos_token/eos_token (tokenizer_config.json)');
  }
  const ids: number[] = [tok.bosId];
  const mask: number[] = [0];
  const push = (text: string, allowSpecial: boolean, m: number) => {
    for (const id of tok.encode(text, { allowSpecial })) {
      ids.push(id);
      mask.push(m);
    }
  };
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  push(system, false, 0);
  for (const m of messages) {
    if (m.role === 'user') {
      push(USER, true, 0);
      push(m.content, false, 0);
    } else if (m.role === 'assistant') {
      push(ASSISTANT, true, 0);
      push(m.content, true, 1);
      ids.push(tok.eosId);
      mask.push(1);
    }
  }
  return { ids, mask };
}
