/**
 * A small but real serving stack for tests: a byte-level BPE tokenizer trained here with the R1
 * chat template, a mock model that plays a known reply (thinking, `</think>`, answer, EOS) after
 * the prompt's forced `<think>\n`, the scheduler and the chat service, and a server on a loopback
 * port chosen by the OS.
 */
import { Scheduler } from '../../src/inference/scheduler.js';
import { ChatService } from '../../src/serve/chat-service.js';
import { startServer, type RunningServer, type ServeOptions } from '../../src/serve/server.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { MockLM } from '../inference/mock-lm.js';

export const THINKING = 'Let me think about 2 + 2. Two plus two is four.';
export const ANSWER = 'The answer is **4**.';
export const MODEL_ID = 'mock-r1';

/** A tokenizer trained on a few lines (about 270 ids) with R1's added tokens and template (or `chatTemplate`). */
export function makeTokenizer(chatTemplate?: string): HfTokenizer {
  const docs = [THINKING, ANSWER, 'Hello! How can I help you today?', '你好，世界。', 'What is 2 + 2?'];
  const t = trainTokenizer(docs, { vocabSize: 300 });
  return new HfTokenizer(
    t.tokenizerJson,
    chatTemplate === undefined ? t.tokenizerConfig : { ...t.tokenizerConfig, chat_template: chatTemplate },
  );
}

/** Index of the first token after the last occurrence of `marker` in `h` (0 when absent). */
function afterMarker(h: readonly number[], marker: readonly number[]): number {
  outer: for (let i = h.length - marker.length; i >= 0; i--) {
    for (let j = 0; j < marker.length; j++) if (h[i + j] !== marker[j]) continue outer;
    return i + marker.length;
  }
  return 0;
}

/** A mock whose k-th token after the prompt's `<think>\n` is `scriptAt(k)`, with a logit margin of 10. */
export function scriptedModel(
  tok: HfTokenizer,
  scriptAt: (k: number) => number,
  maxContext = 512,
  stepDelayMs = 0,
): MockLM {
  const marker = tok.encode('<think>\n', { allowSpecial: true });
  return new MockLM({
    vocabSize: tok.vocabSize,
    maxContext,
    maxSlots: 4,
    stepDelayMs,
    next: (h) => {
      const l = new Float32Array(tok.vocabSize);
      l[scriptAt(h.length - afterMarker(h, marker))] = 10;
      return l;
    },
  });
}

/** The reply script: thinking, `</think>`, answer, then EOS forever. */
export function replyScript(tok: HfTokenizer): (k: number) => number {
  const ids = tok.encode(`${THINKING}\n</think>\n\n${ANSWER}`, { allowSpecial: true });
  return (k) => (k < ids.length ? ids[k]! : tok.eosId!);
}

/** A script that never ends (for disconnect tests). */
export function endlessScript(tok: HfTokenizer): (k: number) => number {
  const ids = tok.encode('Two plus two is four. ');
  return (k) => ids[k % ids.length]!;
}

export interface TestStack {
  tok: HfTokenizer;
  model: MockLM;
  scheduler: Scheduler;
  service: ChatService;
  server: RunningServer;
}

/** Starts the whole stack; call `server.close()` when done. */
export async function startStack(
  options: {
    script?: 'reply' | 'endless';
    maxContext?: number;
    stepDelayMs?: number;
    serve?: Partial<ServeOptions>;
    tokenizer?: HfTokenizer;
  } = {},
): Promise<TestStack> {
  const tok = options.tokenizer ?? makeTokenizer();
  const model = scriptedModel(
    tok,
    options.script === 'endless' ? endlessScript(tok) : replyScript(tok),
    options.maxContext ?? 512,
    options.stepDelayMs,
  );
  const scheduler = new Scheduler(model);
  const service = new ChatService(scheduler, tok, [tok.eosId!]);
  const server = await startServer(service, { modelId: MODEL_ID, port: 0, ...options.serve });
  return { tok, model, scheduler, service, server };
}
