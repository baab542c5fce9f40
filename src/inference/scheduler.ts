/**
 * Continuous batching (Orca, Yu et al. 2022): one loop runs decode steps over all running
 * sequences; between steps, waiting requests take free slots and join (their prompt is prefilled in
 * chunks inside the same batched forward), and finished or cancelled ones leave and free their slot.
 *
 * MTP speculative decoding (V3 paper 5.4.3): after a step, the model's MTP drafter proposes the
 * token after the one just sampled; the next step feeds both and gets logits at both positions.
 * The sampled token is drawn from the first position exactly as without speculation; if it equals
 * the draft, the second position's logits give one more token in the same step, else the draft is
 * dropped from the cache. Each request draws from its own Rng in the same order either way, so the
 * output (greedy or seeded) is identical with and without speculation; only the step count drops.
 *
 * Groups (GRPO's n completions of one prompt, eval's k samples): `submitGroup` prefills the prompt
 * once in one slot and, when its last chunk is in, forks that slot into one per generation
 * (CausalLM.fork), each of which samples its first token from the same prompt logits with its own
 * Rng. This is nanochat's engine ("prefill once, clone the KV cache") on the serving scheduler.
 */
import type { CausalLM, ForwardRow } from './causal-lm.js';
import { Sequence, type Generation } from './generation.js';
import {
  argmax,
  checkSamplingParams,
  logprobOf,
  makeSampler,
  R1_SAMPLING,
  requestRng,
  type SamplingParams,
  topLogprobs,
} from './sampling.js';

/** Scheduler settings. */
export interface SchedulerOptions {
  /** Most sequences in one forward call (default and upper bound: the model's maxSlots). */
  maxBatch?: number;
  /** Most prompt tokens of one sequence fed per step, so long prompts do not stall decoding (default 512). */
  prefillChunk?: number;
  /** Draft with the model's MTP module when it has one (default true). */
  speculative?: boolean;
}

/** Counters since the scheduler was made. */
export interface SchedulerStats {
  steps: number;
  generatedTokens: number;
  draftsProposed: number;
  draftsAccepted: number;
}

/** Runs many generations over one CausalLM with continuous batching. */
export class Scheduler {
  readonly stats: SchedulerStats = { steps: 0, generatedTokens: 0, draftsProposed: 0, draftsAccepted: 0 };
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private readonly maxBatch: number;
  private readonly prefillChunk: number;
  private readonly speculative: boolean;
  private looping = false;

  constructor(
    readonly model: CausalLM,
    options: SchedulerOptions = {},
  ) {
    this.maxBatch = Math.min(options.maxBatch ?? model.maxSlots, model.maxSlots);
    this.prefillChunk = options.prefillChunk ?? 512;
    this.speculative = (options.speculative ?? true) && model.draft !== undefined;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1))
      throw new Error(`Scheduler: maxBatch must be an integer >= 1, got ${options.maxBatch}`);
    if (!(Number.isInteger(this.prefillChunk) && this.prefillChunk >= 1))
      throw new Error(`Scheduler: prefillChunk must be an integer >= 1, got ${options.prefillChunk}`);
  }

  /** Requests waiting for a slot plus those running. */
  get active(): number {
    return this.waiting.length + this.running.length;
  }

  /** Share of drafts the main model accepted (NaN before any draft). */
  get acceptanceRate(): number {
    return this.stats.draftsAccepted / this.stats.draftsProposed;
  }

  /**
   * Queues a generation; the returned object streams its tokens. Missing params default to R1's.
   * @example for await (const { token } of scheduler.submit(ids, { temperature: 0 })) out.push(token);
   */
  submit(prompt: readonly number[], params: Partial<SamplingParams> = {}): Generation {
    const seq = this.sequence('Scheduler.submit', prompt, params);
    this.waiting.push(seq);
    this.kick();
    return seq;
  }

  /**
   * Queues `params.length` generations of one prompt that share its prefill: generation i samples
   * with `params[i]` (its seed above all). All of them run in one batch, so there must be at most
   * maxBatch. Models without `fork` prefill each generation on its own (same tokens, more work).
   */
  submitGroup(prompt: readonly number[], params: readonly Partial<SamplingParams>[]): Generation[] {
    if (params.length === 0) throw new Error('Scheduler.submitGroup: no generations asked for (params is empty)');
    if (params.length > this.maxBatch)
      throw new Error(
        `Scheduler.submitGroup: a group of ${params.length} does not fit in one batch of at most ${this.maxBatch}`,
      );
    if (params.length === 1 || this.model.fork === undefined) return params.map((p) => this.submit(prompt, p));
    const children = params.map((p) => this.sequence('Scheduler.submitGroup', prompt, p));
    this.waiting.push(new GroupPrefill(children));
    this.kick();
    return children;
  }

  /** A checked, not yet queued request. */
  private sequence(who: string, prompt: readonly number[], params: Partial<SamplingParams>): Sequence {
    const p: SamplingParams = { ...R1_SAMPLING, ...params };
    checkSamplingParams(p);
    const { vocabSize, maxContext } = this.model;
    if (prompt.length === 0) throw new Error(`${who}: prompt is empty; expected at least one token id`);
    if (prompt.length >= maxContext)
      throw new Error(
        `${who}: prompt has ${prompt.length} tokens; the context holds ${maxContext}, so it must be shorter`,
      );
    prompt.forEach((t, i) => {
      if (!(Number.isInteger(t) && t >= 0 && t < vocabSize))
        throw new Error(`${who}: prompt[${i}] = ${t} is not a token id in [0, ${vocabSize})`);
    });
    return new Sequence([...prompt], p, makeSampler(p), requestRng(p.seed), (s) => this.remove(s));
  }

  /** Batch rows taken by the running sequences, a group's prefill counting its whole group. */
  private get occupied(): number {
    let n = 0;
    for (const s of this.running) n += s instanceof GroupPrefill ? s.children.length : 1;
    return n;
  }

  private kick(): void {
    if (this.looping) return;
    this.looping = true;
    setImmediate(() => {
      this.loop().catch((err: unknown) => {
        // A bug in the loop itself: end every request with it rather than leave an unhandled rejection.
        for (const s of [...this.waiting, ...this.running]) {
          s.fail(err);
          this.remove(s);
        }
      });
    });
  }

  /** Steps while there is work, yielding to the event loop between steps (I/O, joins, cancels). */
  private async loop(): Promise<void> {
    try {
      while (this.waiting.length > 0 || this.running.length > 0) {
        this.admit();
        if (this.running.length > 0) this.step();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.looping = false;
    }
  }

  private admit(): void {
    while (this.waiting.length > 0) {
      const head = this.waiting[0]!;
      if (this.occupied + (head instanceof GroupPrefill ? head.children.length : 1) > this.maxBatch) break;
      const seq = this.waiting.shift()!;
      try {
        seq.slot = this.model.allocSlot();
      } catch (err) {
        seq.fail(err);
        continue;
      }
      this.running.push(seq);
    }
  }

  private rowOf(seq: Sequence): ForwardRow {
    if (seq.prefilled < seq.prompt.length) {
      const end = Math.min(seq.prompt.length, seq.prefilled + this.prefillChunk);
      return {
        slot: seq.slot,
        tokens: seq.prompt.slice(seq.prefilled, end),
        logits: end === seq.prompt.length ? 1 : 0,
      };
    }
    const tokens = seq.draft === undefined ? [seq.last] : [seq.last, seq.draft];
    return { slot: seq.slot, tokens, logits: tokens.length };
  }

  /** One batched forward over every running sequence, then sampling, then drafting. */
  private step(): void {
    const batch = [...this.running];
    const rows = batch.map((s) => this.rowOf(s));
    let out: Float32Array[][];
    try {
      out = this.model.forward(rows);
    } catch (err) {
      for (const s of batch) {
        s.fail(err);
        this.remove(s);
      }
      return;
    }
    this.stats.steps++;
    batch.forEach((seq, i) => {
      try {
        if (seq instanceof GroupPrefill) this.fork(seq, rows[i]!, out[i]!);
        else this.advance(seq, rows[i]!, out[i]!);
      } catch (err) {
        seq.fail(err); // this request's step failed (e.g. non-finite logits); the others go on
      }
    });
    for (const s of batch) if (s.done) this.remove(s);
    const drafting = this.running.filter((s) => this.wantsDraft(s));
    if (drafting.length === 0) return;
    let drafts: Float32Array[];
    try {
      drafts = this.model.draft!(
        drafting.map((s) => s.slot),
        drafting.map((s) => s.last),
      );
    } catch (err) {
      for (const s of drafting) {
        s.fail(err);
        this.remove(s);
      }
      return;
    }
    drafting.forEach((s, i) => {
      try {
        s.draft = argmax(drafts[i]!);
      } catch (err) {
        s.fail(err);
        this.remove(s);
      }
    });
    this.stats.draftsProposed += drafting.length;
  }

  /**
   * A group's prefill step: once the prompt is in, its slot goes to the first live generation and
   * is forked for the others; each then samples its first token from the prompt's last logits.
   */
  private fork(group: GroupPrefill, row: ForwardRow, logits: Float32Array[]): void {
    group.prefilled += row.tokens.length;
    if (group.prefilled < group.prompt.length) return;
    this.running.splice(this.running.indexOf(group), 1);
    const live = group.children.filter((c) => !c.done);
    try {
      live.forEach((child, i) => {
        child.slot = i === 0 ? group.slot : this.model.fork!(group.slot);
        child.prefilled = child.prompt.length;
        this.running.push(child);
      });
    } catch (err) {
      for (const child of live) {
        child.fail(err);
        this.remove(child);
      }
      return;
    } finally {
      if (live.length === 0) this.model.freeSlot(group.slot);
      group.slot = -1;
    }
    for (const child of live) {
      this.advance(child, row, logits);
      if (child.done) this.remove(child);
    }
  }

  private advance(seq: Sequence, row: ForwardRow, logits: Float32Array[]): void {
    if (seq.prefilled < seq.prompt.length) {
      seq.prefilled += row.tokens.length;
      if (seq.prefilled < seq.prompt.length) return;
    }
    const draft = seq.draft;
    seq.draft = undefined;
    const token = this.emit(seq, logits[0]!);
    if (draft === undefined || seq.done) return;
    if (token === draft) {
      this.stats.draftsAccepted++;
      this.emit(seq, logits[1]!);
    } else {
      this.model.truncate(seq.slot, this.model.length(seq.slot) - 1);
    }
  }

  /** Samples one token from `logits`, streams it and applies the stop and length rules. */
  private emit(seq: Sequence, full: Float32Array): number {
    const limit = seq.params.vocabLimit;
    const logits = limit !== undefined && limit < full.length ? full.subarray(0, limit) : full;
    const token = seq.sampler(logits, seq.rng);
    seq.last = token;
    seq.completionTokens++;
    this.stats.generatedTokens++;
    const p = seq.params;
    if (p.stopTokens.includes(token)) {
      seq.stopToken = token;
      seq.finish('stop');
      return token;
    }
    if (!p.logprobs) seq.queue.push({ token });
    else if (!p.topLogprobs) seq.queue.push({ token, logprob: logprobOf(logits, token) });
    else seq.queue.push({ token, logprob: logprobOf(logits, token), top: topLogprobs(logits, p.topLogprobs) });
    if (seq.completionTokens >= p.maxNewTokens || seq.prompt.length + seq.completionTokens >= this.model.maxContext)
      seq.finish('length');
    return token;
  }

  private wantsDraft(seq: Sequence): boolean {
    if (!this.speculative || seq.done || seq.prefilled < seq.prompt.length) return false;
    return (
      seq.completionTokens + 2 <= seq.params.maxNewTokens &&
      seq.prompt.length + seq.completionTokens + 2 <= this.model.maxContext
    );
  }

  /** Takes a sequence out of the queues and frees its slot at once. */
  private remove(seq: Sequence): void {
    const w = this.waiting.indexOf(seq);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(seq);
    if (r >= 0) this.running.splice(r, 1);
    if (seq.slot >= 0) {
      const slot = seq.slot;
      seq.slot = -1;
      this.model.freeSlot(slot);
    }
  }
}

/**
 * The shared prefill of a group (never streamed to a client): it holds the prompt's slot until the
 * prompt is in, then hands it to its children. A failure before that fails every child.
 */
class GroupPrefill extends Sequence {
  constructor(readonly children: readonly Sequence[]) {
    const first = children[0]!;
    super(first.prompt, first.params, first.sampler, first.rng, () => {});
  }

  override fail(error: unknown): void {
    super.fail(error);
    for (const child of this.children) child.fail(error);
  }
}
