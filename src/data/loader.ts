/**
 * The packing loader for pretraining and SFT-style streams: documents from token shards are
 * shuffled per epoch (seeded), concatenated, and cut into fixed-length sequences. Each batch
 * carries, besides the ids, the position of every token inside its document piece (restarting at
 * document starts and at sequence starts) and a segment number per document, so attention can be
 * kept within documents. The stream runs across epochs without dropping tokens. Its whole state is
 * three integers (epoch, document cursor, token offset): save `state()` and pass it back to resume
 * exactly where it stopped. Batches are plain Int32Arrays, independent of the tensor engine.
 */
import { Rng } from '../tasks/rng.js';
import { readShards, type LoadedShard } from './shards.js';

/** Where the stream stands; JSON-serialisable. */
export interface LoaderState {
  epoch: number;
  doc: number;
  offset: number;
}

/** One batch, row-major [batchSize, seqLen]. */
export interface PackedBatch {
  batchSize: number;
  seqLen: number;
  tokens: Int32Array;
  positions: Int32Array;
  segments: Int32Array;
}

export interface LoaderOptions {
  seqLen: number;
  batchSize: number;
  seed: number;
  /** Shuffle documents each epoch (default true). */
  shuffle?: boolean;
}

/** Deterministic, resumable, shuffling packer over a shard folder. */
export class PackedLoader {
  private readonly docs: Array<{ shard: LoadedShard; start: number; end: number }> = [];
  private order: Uint32Array = new Uint32Array(0);
  private orderEpoch = -1;
  private pos: LoaderState;

  constructor(
    dir: string,
    private readonly options: LoaderOptions,
    state?: LoaderState,
  ) {
    const { seqLen, batchSize } = options;
    if (!Number.isInteger(seqLen) || seqLen < 1)
      throw new Error(`PackedLoader: seqLen must be a positive integer, got ${seqLen}`);
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new Error(`PackedLoader: batchSize must be a positive integer, got ${batchSize}`);
    for (const shard of readShards(dir).shards) {
      const n = shard.docStarts.length;
      for (let i = 0; i < n; i++)
        this.docs.push({
          shard,
          start: shard.docStarts[i]!,
          end: i + 1 < n ? shard.docStarts[i + 1]! : shard.tokens.length,
        });
    }
    if (this.docs.length === 0) throw new Error(`PackedLoader: ${dir} holds no documents`);
    this.pos = state ? { ...state } : { epoch: 0, doc: 0, offset: 0 };
    if (this.pos.doc >= this.docs.length || this.pos.offset < 0)
      throw new Error(
        `PackedLoader: state ${JSON.stringify(state)} does not fit ${dir} (${this.docs.length} documents)`,
      );
  }

  /** Number of documents and tokens in one epoch. */
  get size(): { documents: number; tokens: number } {
    return { documents: this.docs.length, tokens: this.docs.reduce((s, d) => s + d.end - d.start, 0) };
  }

  /** The current position; pass it to the constructor to continue from here. */
  state(): LoaderState {
    return { ...this.pos };
  }

  private docAt(epoch: number, i: number) {
    if (this.orderEpoch !== epoch) {
      const idx = Array.from({ length: this.docs.length }, (_, k) => k);
      if (this.options.shuffle !== false) new Rng(this.options.seed).fork(`epoch-${epoch}`).shuffle(idx);
      this.order = Uint32Array.from(idx);
      this.orderEpoch = epoch;
    }
    return this.docs[this.order[i]!]!;
  }

  /** The next batch of packed sequences. */
  next(): PackedBatch {
    const { seqLen, batchSize } = this.options;
    const n = seqLen * batchSize;
    const tokens = new Int32Array(n),
      positions = new Int32Array(n),
      segments = new Int32Array(n);
    for (let row = 0; row < batchSize; row++) {
      let filled = 0,
        segment = 0;
      while (filled < seqLen) {
        const d = this.docAt(this.pos.epoch, this.pos.doc);
        const take = Math.min(d.end - d.start - this.pos.offset, seqLen - filled);
        const base = row * seqLen + filled;
        for (let k = 0; k < take; k++) {
          tokens[base + k] = d.shard.tokens[d.start + this.pos.offset + k]!;
          positions[base + k] = k;
          segments[base + k] = segment;
        }
        filled += take;
        segment++;
        this.pos.offset += take;
        if (d.start + this.pos.offset >= d.end) {
          this.pos.offset = 0;
          this.pos.doc++;
          if (this.pos.doc >= this.docs.length) {
            this.pos.doc = 0;
            this.pos.epoch++;
          }
        }
      }
    }
    return { batchSize, seqLen, tokens, positions, segments };
  }
}
