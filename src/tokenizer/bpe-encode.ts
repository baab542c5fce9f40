/**
 * An independent byte-level BPE encoder for tokenizer.json files of the DeepSeek shape (Split
 * pre-tokenizers + ByteLevel, BPE model). It is the second implementation that checks the loader
 * library and our trainer against each other: merges are applied GPT-2 style (repeatedly merge
 * every occurrence of the lowest-ranked adjacent pair), added tokens are matched leftmost-longest.
 * It refuses (with the reason) any tokenizer.json feature it does not implement.
 */
import { byteToUnicodeTable, toByteLevel, toWellFormed } from './byte-level.js';
import { compileSplitPatterns, preTokenize } from './pretokenize.js';

type Json = Record<string, unknown>;

function unsupported(what: string, value: unknown): never {
  throw new Error(`BpeEncoder: unsupported tokenizer.json ${what}: ${JSON.stringify(value)?.slice(0, 200)}`);
}

function splitPatternsOf(pre: unknown): string[] {
  const p = pre as Json | null;
  if (p?.type !== 'Sequence' || !Array.isArray(p.pretokenizers)) unsupported('pre_tokenizer', pre);
  const parts = p.pretokenizers as Json[];
  const last = parts[parts.length - 1];
  if (last?.type !== 'ByteLevel' || last.use_regex !== false || last.add_prefix_space)
    unsupported('pre_tokenizer (last must be ByteLevel without regex/prefix space)', last);
  return parts.slice(0, -1).map((s) => {
    const pat = s.pattern as Json | undefined;
    if (s.type !== 'Split' || s.behavior !== 'Isolated' || s.invert || !pat || typeof pat.Regex !== 'string')
      unsupported('Split pre-tokenizer', s);
    return pat.Regex as string;
  });
}

/** Encodes with the BPE of a parsed tokenizer.json. */
export class BpeEncoder {
  private readonly vocab: Map<string, number>;
  private readonly ranks: Map<string, number>;
  private readonly regexes: RegExp[];
  private readonly added: Map<string, number>;
  private readonly addedRe: RegExp | undefined;
  private readonly table = byteToUnicodeTable();
  private readonly utf8 = new TextEncoder();
  private readonly cache = new Map<string, number[]>();

  constructor(tokenizerJson: Json) {
    const norm = tokenizerJson.normalizer as Json | null | undefined;
    if (norm && !(norm.type === 'Sequence' && Array.isArray(norm.normalizers) && norm.normalizers.length === 0))
      unsupported('normalizer', norm);
    const model = tokenizerJson.model as Json;
    if (
      model?.type !== 'BPE' ||
      model.dropout ||
      model.byte_fallback ||
      model.continuing_subword_prefix ||
      model.end_of_word_suffix ||
      model.ignore_merges
    )
      unsupported('model', { ...model, vocab: undefined, merges: undefined });
    this.vocab = new Map(Object.entries(model.vocab as Record<string, number>));
    const merges = model.merges as Array<string | [string, string]>;
    this.ranks = new Map(merges.map((m, i) => [Array.isArray(m) ? `${m[0]} ${m[1]}` : m, i]));
    this.regexes = compileSplitPatterns(splitPatternsOf(tokenizerJson.pre_tokenizer));
    const addedList = (tokenizerJson.added_tokens ?? []) as Json[];
    for (const t of addedList) if (t.lstrip || t.rstrip || t.single_word) unsupported('added token options', t);
    this.added = new Map(addedList.map((t) => [t.content as string, t.id as number]));
    const alts = [...this.added.keys()]
      .sort((x, y) => y.length - x.length)
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.addedRe = alts.length > 0 ? new RegExp(alts.join('|'), 'g') : undefined;
  }

  /** Token ids of `text`; added-token text is matched only when `allowSpecial`. */
  encode(text: string, allowSpecial = false): number[] {
    const s = toWellFormed(text);
    const out: number[] = [];
    if (!allowSpecial || !this.addedRe) {
      this.encodeSection(s, out);
      return out;
    }
    let prev = 0;
    for (const m of s.matchAll(this.addedRe)) {
      this.encodeSection(s.slice(prev, m.index), out);
      out.push(this.added.get(m[0])!);
      prev = m.index! + m[0].length;
    }
    this.encodeSection(s.slice(prev), out);
    return out;
  }

  private encodeSection(text: string, out: number[]): void {
    if (text.length === 0) return;
    for (const w of preTokenize(text, this.regexes)) {
      let ids = this.cache.get(w);
      if (!ids) {
        ids = this.encodeWord(toByteLevel(w, this.table, this.utf8));
        if (this.cache.size > 100_000) this.cache.clear();
        this.cache.set(w, ids);
      }
      for (const id of ids) out.push(id);
    }
  }

  /** GPT-2 `bpe()`: merge the lowest-ranked pair everywhere, until no ranked pair is left. */
  private encodeWord(word: string): number[] {
    let syms = Array.from(word);
    for (;;) {
      let best = -1,
        bestRank = Infinity;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = syms[best]!,
        b = syms[best + 1]!;
      const next: string[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(syms[i]!);
      }
      syms = next;
    }
    return syms.map((t) => {
      const id = this.vocab.get(t);
      if (id === undefined) throw new Error(`BpeEncoder: token ${JSON.stringify(t)} is missing from the vocabulary`);
      return id;
    });
  }
}
