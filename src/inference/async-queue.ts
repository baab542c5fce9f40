/**
 * A single-consumer queue exposed as an async iterator: the scheduler pushes tokens between decode
 * steps, a streaming client pulls them. Ending the iteration early (break, return()) calls
 * `onReturn`, which is how a consumer that walks away cancels its generation.
 */

/** Push side and async-iterator side of one stream of values. */
export class AsyncQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private closed = false;
  private error: unknown = undefined;

  constructor(private readonly onReturn: () => void = () => {}) {}

  /** Adds a value (ignored after close). */
  push(value: T): void {
    if (this.closed) return;
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve({ value, done: false });
    } else this.items.push(value);
  }

  /** Ends the stream after the queued values; with `error`, the consumer's next pull throws it. */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.error = error;
    if (this.waiter && this.items.length === 0) {
      const w = this.waiter;
      this.waiter = undefined;
      if (error !== undefined) w.reject(error);
      else w.resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.closed) {
      if (this.error !== undefined) {
        const e = this.error;
        this.error = undefined;
        return Promise.reject(e);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.waiter)
      return Promise.reject(
        new Error('AsyncQueue: next() called while a previous next() is pending (single consumer)'),
      );
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    const wasOpen = !this.closed;
    this.closed = true;
    this.items.length = 0;
    if (wasOpen) this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
