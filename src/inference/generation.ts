/**
 * One request inside the scheduler: its prompt, sampling state, slot and output stream. The
 * public face (`Generation`) is an async iterator of generated tokens plus counters and the finish
 * reason, readable once the iteration has ended.
 */
import type { Rng } from '../tensor/rng.js';
import { AsyncQueue } from './async-queue.js';
import type { Sampler, SamplingParams } from './sampling.js';

/**
 * Why a generation ended: a stop token (`stop`), max tokens or a full context (`length`), the
 * client (`cancelled`), or a model failure (`error`, which the iterator throws).
 */
export type FinishReason = 'stop' | 'length' | 'cancelled' | 'error';

/** One generated token. */
export interface TokenOut {
  token: number;
  /** log p(token) under the model, when logprobs were asked for. */
  logprob?: number;
  /** The most likely tokens at this position, when topLogprobs was asked for. */
  top?: Array<{ token: number; logprob: number }>;
}

/** A running or finished request, consumed as an async iterator of tokens. */
export interface Generation extends AsyncIterable<TokenOut> {
  readonly promptTokens: number;
  /** Tokens sampled so far, the stop token included. */
  readonly completionTokens: number;
  /** Set when the stream has ended. */
  readonly finishReason: FinishReason | undefined;
  /** The stop token that ended it, when finishReason is `stop` (stop tokens are not streamed). */
  readonly stopToken: number | undefined;
  /** Ends the generation now and frees its slot (also what breaking out of the iteration does). */
  cancel(): void;
}

/** Scheduler-internal state of one request. */
export class Sequence implements Generation {
  slot = -1;
  /** Prompt tokens already sent to the model. */
  prefilled = 0;
  /** Last sampled token, not yet in the cache. */
  last = -1;
  /** Draft token proposed after `last`, verified on the next step. */
  draft: number | undefined = undefined;
  completionTokens = 0;
  finishReason: FinishReason | undefined = undefined;
  stopToken: number | undefined = undefined;
  readonly queue: AsyncQueue<TokenOut>;

  constructor(
    readonly prompt: readonly number[],
    readonly params: SamplingParams,
    readonly sampler: Sampler,
    readonly rng: Rng,
    private readonly onCancel: (seq: Sequence) => void,
  ) {
    this.queue = new AsyncQueue<TokenOut>(() => this.cancel());
  }

  get promptTokens(): number {
    return this.prompt.length;
  }
  get done(): boolean {
    return this.finishReason !== undefined;
  }

  cancel(): void {
    if (this.done) return;
    this.finishReason = 'cancelled';
    this.queue.close();
    this.onCancel(this);
  }

  /** Ends the stream normally. */
  finish(reason: FinishReason): void {
    if (this.done) return;
    this.finishReason = reason;
    this.queue.close();
  }

  /** Ends the stream with an error the consumer's iteration throws. */
  fail(error: unknown): void {
    if (this.done) return;
    this.finishReason = 'error';
    this.queue.close(error);
  }

  [Symbol.asyncIterator](): AsyncIterator<TokenOut> {
    return this.queue;
  }
}
