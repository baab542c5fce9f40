/**
 * Byte-level BPE training (Sennrich et al. 2016; GPT-2's byte-level variant), producing the
 * vocabulary and merge list of a Hugging Face `BPE` model.
 *
 * Algorithm (the incremental scheme of HF's BpeTrainer, not a recount per merge):
 * - the corpus is reduced to a table of unique pre-tokenized words with frequencies;
 * - pair counts live in a Map keyed `a * V + b`, with for each pair the list of words holding it;
 * - a max-heap of (count, pair) entries is repaired lazily: a popped entry whose count is stale is
 *   pushed back with the current count (counts of existing pairs only ever fall);
 * - merging pair (a, b) -> c touches only the words that hold it: their pairs are uncounted, the
 *   word is rewritten left to right without overlaps, and its pairs are counted again.
 * Ties on count go to the smaller (a, b) id pair, so training is deterministic.
 */
import { byteToUnicodeTable } from './byte-level.js';

/** Options of trainBpe. */
export interface BpeTrainOptions {
  /** Number of BPE tokens wanted: 256 byte tokens plus merges (added tokens not included). */
  bpeVocabSize: number;
  /** Pairs seen fewer times than this are never merged (default 2). */
  minFrequency?: number;
  /** Called every `progressEvery` merges (default 256) with (merges done, merges wanted). */
  onProgress?: (done: number, total: number) => void;
  progressEvery?: number;
}

/** Result of trainBpe: token strings by id (byte-level alphabet) and merges in rank order. */
export interface BpeTrainResult {
  vocab: string[];
  merges: Array<[string, string]>;
  /** Final segmentation of each training word (ids), parallel to the input words. */
  segmentations: number[][];
}

/** Max-heap over (count desc, key asc) held in two parallel arrays. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.keys.length;
  }
  private above(i: number, j: number): boolean {
    const ci = this.counts[i]!,
      cj = this.counts[j]!;
    return ci > cj || (ci === cj && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    const c = this.counts[i]!;
    this.counts[i] = this.counts[j]!;
    this.counts[j] = c;
    const k = this.keys[i]!;
    this.keys[i] = this.keys[j]!;
    this.keys[j] = k;
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    let i = this.keys.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  /** Removes the top entry; returns [count, key]. */
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const last = this.keys.length - 1;
    this.swap(0, last);
    this.counts.pop();
    this.keys.pop();
    let i = 0;
    for (;;) {
      const l = 2 * i + 1,
        r = l + 1;
      let m = i;
      if (l < last && this.above(l, m)) m = l;
      if (r < last && this.above(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }
}

/**
 * Trains byte-level BPE on a word-frequency table whose words are already byte-level strings
 * (see WordCounter). Returns vocab ids 0..255 for the bytes, then one id per merge.
 */
export function trainBpe(words: readonly string[], freqs: readonly number[], options: BpeTrainOptions): BpeTrainResult {
  const { bpeVocabSize } = options;
  if (!Number.isInteger(bpeVocabSize) || bpeVocabSize < 256 || bpeVocabSize > 1 << 20) {
    throw new Error(`trainBpe: bpeVocabSize must be an integer in [256, 1048576], got ${bpeVocabSize}`);
  }
  if (words.length !== freqs.length) throw new Error(`trainBpe: ${words.length} words but ${freqs.length} frequencies`);
  const minFreq = options.minFrequency ?? 2;
  const every = options.progressEvery ?? 256;
  const table = byteToUnicodeTable();
  const byteId = new Map(table.map((ch, b) => [ch, b]));
  const vocab = table.slice();
  const V = bpeVocabSize;
  const syms: number[][] = words.map((w, wi) => {
    const ids: number[] = [];
    for (const ch of w) {
      const b = byteId.get(ch);
      if (b === undefined) throw new Error(`trainBpe: word ${wi} (${JSON.stringify(w)}) is not byte-level text`);
      ids.push(b);
    }
    return ids;
  });

  const counts = new Map<number, number>();
  const where = new Map<number, number[]>();
  const addPairs = (wi: number, sign: number, newId: number): void => {
    const s = syms[wi]!,
      f = freqs[wi]! * sign;
    for (let i = 0; i + 1 < s.length; i++) {
      const key = s[i]! * V + s[i + 1]!;
      counts.set(key, (counts.get(key) ?? 0) + f);
      if (sign > 0 && (newId < 0 || s[i] === newId || s[i + 1] === newId)) {
        let list = where.get(key);
        if (!list) where.set(key, (list = []));
        if (list[list.length - 1] !== wi) list.push(wi);
      }
    }
  };
  for (let wi = 0; wi < syms.length; wi++) addPairs(wi, 1, -1);
  const heap = new PairHeap();
  for (const [key, c] of counts) heap.push(c, key);

  const merges: Array<[string, string]> = [];
  const total = bpeVocabSize - 256;
  const stamp = new Int32Array(syms.length).fill(-1);
  while (vocab.length < bpeVocabSize && heap.size > 0) {
    const [c, key] = heap.pop();
    const now = counts.get(key) ?? 0;
    if (now !== c) {
      if (now > 0) heap.push(now, key);
      continue;
    }
    if (c < minFreq) break;
    const a = Math.floor(key / V),
      b = key % V;
    const newId = vocab.length;
    vocab.push(vocab[a]! + vocab[b]!);
    merges.push([vocab[a]!, vocab[b]!]);
    const touched = new Set<number>();
    for (const wi of where.get(key)!) {
      if (stamp[wi] === newId) continue;
      stamp[wi] = newId;
      const s = syms[wi]!;
      let has = false;
      for (let i = 0; i + 1 < s.length; i++)
        if (s[i] === a && s[i + 1] === b) {
          has = true;
          break;
        }
      if (!has) continue;
      addPairs(wi, -1, -1);
      let w = 0;
      for (let r = 0; r < s.length; r++) {
        if (r + 1 < s.length && s[r] === a && s[r + 1] === b) {
          s[w++] = newId;
          r++;
        } else s[w++] = s[r]!;
      }
      s.length = w;
      addPairs(wi, 1, newId);
      for (let i = 0; i + 1 < s.length; i++) {
        if (s[i] === newId || s[i + 1] === newId) touched.add(s[i]! * V + s[i + 1]!);
      }
    }
    where.delete(key);
    counts.delete(key);
    for (const k of touched) heap.push(counts.get(k)!, k);
    if (options.onProgress && merges.length % every === 0) options.onProgress(merges.length, total);
  }
  options.onProgress?.(merges.length, total);
  return { vocab, merges, segmentations: syms };
}
