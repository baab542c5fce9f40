/**
 * Batch sources for the training loops, each resumable from a JSON state:
 * - `PretrainSource`: the packing loader over the token shards of `data build` (src/data/loader.ts).
 * - `SftSource`: chat records tokenized in the R1 layout with their loss masks (src/data/sft.ts),
 *   shuffled per epoch (seeded) and packed back to back into fixed-length rows; the mask travels
 *   with the tokens, so only assistant tokens are targets (R1 paper 2.3).
 * - `heldOutBatches`: fixed evaluation batches from the held-out test problems (test/<task>.jsonl),
 *   written as clean solver traces in the same layout as the training documents, so validation
 *   loss measures the task corpus on problems never trained on.
 * Packed rows attend across document boundaries (GPT-2 style packing); the model has no
 * document mask.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildDatasetDocText } from './doc-text.js';
import { encodeDocument } from '../data/documents.js';
import { readJsonl } from '../data/jsonl.js';
import { PackedLoader, type LoaderState } from '../data/loader.js';
import { tokenizeChat, type SftRecord } from '../data/sft.js';
import { Rng } from '../tasks/rng.js';
import type { Problem } from '../tasks/types.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { TokenBatch } from './objective.js';

/** A resumable stream of micro-batches. */
export interface BatchSource {
  next(): TokenBatch;
  /** JSON-serialisable position; pass back to resume. */
  state(): unknown;
}

/** Packed pretraining sequences from `<dir>` (a shard folder). */
export class PretrainSource implements BatchSource {
  private readonly loader: PackedLoader;
  constructor(dir: string, seqLen: number, batchSize: number, seed: number, state?: unknown) {
    this.loader = new PackedLoader(dir, { seqLen, batchSize, seed }, state as LoaderState | undefined);
  }
  next(): TokenBatch {
    const b = this.loader.next();
    return { batchSize: b.batchSize, seqLen: b.seqLen, tokens: b.tokens };
  }
  state(): unknown {
    return this.loader.state();
  }
}

/** State of the SFT packer. */
export interface SftState {
  epoch: number;
  index: number;
  offset: number;
}

/** Masked token sequences packed into rows; resumable. */
export class SftSource implements BatchSource {
  private order: number[] = [];
  private orderEpoch = -1;
  private pos: SftState;

  constructor(
    private readonly examples: readonly { ids: number[]; mask: number[] }[],
    private readonly seqLen: number,
    private readonly batchSize: number,
    private readonly seed: number,
    state?: unknown,
  ) {
    if (examples.length === 0) throw new Error('SftSource: no SFT examples');
    this.pos = state ? { ...(state as SftState) } : { epoch: 0, index: 0, offset: 0 };
    if (!(this.pos.index >= 0 && this.pos.index < examples.length))
      throw new Error(`SftSource: state ${JSON.stringify(state)} does not fit ${examples.length} examples`);
  }

  /** Tokenizes chat records with their assistant-only masks. */
  static fromRecords(
    records: readonly SftRecord[],
    tok: Tokenizer,
    seqLen: number,
    batchSize: number,
    seed: number,
    state?: unknown,
  ): SftSource {
    return new SftSource(
      records.map((r) => tokenizeChat(r.messages, tok)),
      seqLen,
      batchSize,
      seed,
      state,
    );
  }

  private exampleAt(i: number): { ids: number[]; mask: number[] } {
    if (this.orderEpoch !== this.pos.epoch) {
      this.order = Array.from({ length: this.examples.length }, (_, k) => k);
      new Rng(this.seed).fork(`sft-epoch-${this.pos.epoch}`).shuffle(this.order);
      this.orderEpoch = this.pos.epoch;
    }
    return this.examples[this.order[i]!]!;
  }

  next(): TokenBatch {
    const n = this.seqLen * this.batchSize,
      tokens = new Int32Array(n),
      mask = new Int32Array(n);
    for (let at = 0; at < n; ) {
      const ex = this.exampleAt(this.pos.index);
      const take = Math.min(ex.ids.length - this.pos.offset, n - at);
      for (let k = 0; k < take; k++) {
        tokens[at + k] = ex.ids[this.pos.offset + k]!;
        mask[at + k] = ex.mask[this.pos.offset + k]!;
      }
      at += take;
      this.pos.offset += take;
      if (this.pos.offset >= ex.ids.length) {
        this.pos.offset = 0;
        if (++this.pos.index >= this.examples.length) {
          this.pos.index = 0;
          this.pos.epoch++;
        }
      }
    }
    return { batchSize: this.batchSize, seqLen: this.seqLen, tokens, mask };
  }

  state(): unknown {
    return { ...this.pos };
  }
}

/** The held-out problems of a `data build` folder, per task (test/<task>.jsonl). */
export function readTestProblems(datasetDir: string): Map<string, Problem[]> {
  const dir = join(datasetDir, 'test');
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => f.endsWith('.jsonl'))
      .sort();
  } catch (err) {
    throw new Error(
      `held-out split: cannot list ${dir} (${(err as Error).message}); run \`deepseek-ts data build\` first`,
    );
  }
  return new Map(files.map((f) => [f.replace(/\.jsonl$/, ''), readJsonl(join(dir, f)) as Problem[]]));
}

/**
 * Fixed evaluation batches: held-out problems (tasks interleaved) rendered by `render` into token
 * sequences with masks, packed into `count` batches (fewer when the split runs out).
 */
export function heldOutBatches(
  examples: readonly { ids: number[]; mask: number[] }[],
  seqLen: number,
  batchSize: number,
  count: number,
  masked: boolean,
): TokenBatch[] {
  const out: TokenBatch[] = [];
  const n = seqLen * batchSize;
  let tokens = new Int32Array(n),
    mask = new Int32Array(n),
    at = 0;
  for (const ex of examples) {
    for (let i = 0; i < ex.ids.length && out.length < count; i++) {
      tokens[at] = ex.ids[i]!;
      mask[at] = ex.mask[i]!;
      at++;
      if (at === n) {
        out.push(masked ? { batchSize, seqLen, tokens, mask } : { batchSize, seqLen, tokens });
        tokens = new Int32Array(n);
        mask = new Int32Array(n);
        at = 0;
      }
    }
    if (out.length >= count) break;
  }
  return out;
}

/** Held-out examples in the pretraining layout (clean traces + EOS, all tokens targets), tasks interleaved. */
export function heldOutPretrainExamples(
  tests: Map<string, Problem[]>,
  tok: Tokenizer,
): { ids: number[]; mask: number[] }[] {
  if (tok.eosId === undefined) throw new Error('held-out split: the tokenizer has no eos_token');
  return interleave(tests).map((p) => {
    const ids = encodeDocument(tok, buildDatasetDocText(p));
    ids.push(tok.eosId!);
    return { ids, mask: ids.map(() => 1) };
  });
}

/** Problems of every task, round-robin (so a few batches cover every task). */
export function interleave(tests: Map<string, Problem[]>): Problem[] {
  const lists = [...tests.values()],
    out: Problem[] = [];
  const longest = lists.map((l) => l.length).reduce((a, b) => Math.max(a, b), 0);
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}
