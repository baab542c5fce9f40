/**
 * Trains a tokenizer for this project end to end: count words of the corpus with DeepSeek-V3's
 * pre-tokenization, learn byte-level BPE merges, append the R1 added tokens, and build the
 * Hugging Face tokenizer.json / tokenizer_config.json objects.
 */
import { trainBpe } from './bpe-train.js';
import { DEEPSEEK_SPLIT_PATTERNS } from './pretokenize.js';
import { R1_ADDED_TOKENS, type AddedTokenSpec } from './special-tokens.js';
import { buildTokenizerConfig, buildTokenizerJson } from './tokenizer-json.js';
import { WordCounter } from './word-counter.js';

/** Options of trainTokenizer. */
export interface TrainTokenizerOptions {
  /** Total vocabulary size: 256 bytes + merges + added tokens. */
  vocabSize: number;
  minFrequency?: number;
  addedTokens?: readonly AddedTokenSpec[];
  splitPatterns?: readonly string[];
  modelMaxLength?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Trained tokenizer files plus figures for the report. */
export interface TrainedTokenizer {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  stats: { chars: number; uniqueWords: number; merges: number; vocabSize: number };
}

/** A document as text, or as segments whose `plain` ones hold added-token spellings as ordinary text. */
export type TrainingDoc = string | readonly { text: string; plain: boolean }[];

/** Trains on an iterable of documents. */
export function trainTokenizer(docs: Iterable<TrainingDoc>, options: TrainTokenizerOptions): TrainedTokenizer {
  const added = options.addedTokens ?? R1_ADDED_TOKENS;
  const patterns = options.splitPatterns ?? DEEPSEEK_SPLIT_PATTERNS;
  const bpeVocabSize = options.vocabSize - added.length;
  if (!Number.isInteger(options.vocabSize) || bpeVocabSize < 256) {
    throw new Error(
      `vocab size must be an integer of at least ${256 + added.length} (256 bytes + ${added.length} added tokens), got ${options.vocabSize}`,
    );
  }
  const counter = new WordCounter(
    patterns,
    added.map((t) => t.content),
  );
  for (const d of docs)
    if (typeof d === 'string') counter.add(d);
    else for (const s of d) counter.add(s.text, s.plain);
  const { words, freqs } = counter.table();
  const { vocab, merges } = trainBpe(words, freqs, {
    bpeVocabSize,
    minFrequency: options.minFrequency,
    onProgress: options.onProgress,
  });
  return {
    tokenizerJson: buildTokenizerJson(vocab, merges, added, patterns),
    tokenizerConfig: buildTokenizerConfig(options.modelMaxLength ?? 4096),
    stats: {
      chars: counter.charCount,
      uniqueWords: words.length,
      merges: merges.length,
      vocabSize: vocab.length + added.length,
    },
  };
}
