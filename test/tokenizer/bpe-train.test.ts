/**
 * Byte-level BPE training: the saved tokenizer.json loads in @lenml/tokenizers and encodes exactly
 * as our independent encoder and as the trainer's own final segmentation of every word; training is
 * deterministic; the R1 added tokens are single ids.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { trainBpe } from '../../src/tokenizer/bpe-train.js';
import { BpeEncoder } from '../../src/tokenizer/bpe-encode.js';
import { HfTokenizer, loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { R1_ADDED_TOKENS } from '../../src/tokenizer/special-tokens.js';
import { variedStrings } from './strings.js';

const docs = variedStrings(1500, 7).map(
  (s, i) => `<think>\nStep ${i}: ${s} so 12 + 30 = 42.\n</think>\n<answer>${i * 7}</answer>`,
);
const trained = trainTokenizer(docs, { vocabSize: 700 });

test('trained vocabulary has exactly the requested size, added tokens at the end', () => {
  const tok = new HfTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  assert.equal(tok.vocabSize, 700);
  assert.equal(trained.stats.vocabSize, 700);
  assert.equal(tok.addedTokens.length, R1_ADDED_TOKENS.length);
  for (const t of R1_ADDED_TOKENS) assert.deepEqual(tok.encode(t.content, { allowSpecial: true }).length, 1, t.content);
  assert.equal(tok.idToToken(tok.bosId!), '<｜begin▁of▁sentence｜>');
  assert.ok(tok.padId !== undefined && tok.eosId !== undefined);
});

test('@lenml/tokenizers loads the trained tokenizer.json and encodes identically to our encoder', () => {
  const tok = new HfTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  const ours = new BpeEncoder(trained.tokenizerJson);
  for (const s of [...docs.slice(0, 500), ...variedStrings(1000, 99)]) {
    assert.deepEqual(ours.encode(s, true), tok.encode(s, { allowSpecial: true }), JSON.stringify(s));
    assert.deepEqual(ours.encode(s, false), tok.encode(s), JSON.stringify(s));
    assert.equal(tok.decode(tok.encode(s)), s);
  }
});

test("the trainer's own final segmentation of each word is what the saved merges produce", () => {
  const words = ['ĠĠĠ', 'aaaaaaa', 'abababab', 'Ġthe', 'Ġthen', 'Ġthere', 'hello', 'ĠĠ', '123', '1234'];
  const freqs = [50, 9, 8, 40, 7, 6, 5, 30, 20, 3];
  const r = trainBpe(words, freqs, { bpeVocabSize: 256 + 20 });
  const json = {
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'ByteLevel', add_prefix_space: false, use_regex: false }],
    },
    model: {
      type: 'BPE',
      vocab: Object.fromEntries(r.vocab.map((t, i) => [t, i])),
      merges: r.merges.map(([a, b]) => `${a} ${b}`),
    },
    added_tokens: [],
  };
  const enc = new BpeEncoder(json);
  words.forEach((w, i) => assert.equal(r.segmentations[i]!.map((id) => r.vocab[id]).join(''), w));
  // The same merges applied by rank (GPT-2 style) give the trainer's segmentation.
  const decoded = (s: string) => Buffer.from(Array.from(s, (ch) => r.vocab.indexOf(ch))).toString('utf8');
  words.forEach((w, i) => assert.deepEqual(enc.encode(decoded(w)), r.segmentations[i], w));
  assert.deepEqual(r.merges[0], ['Ġ', 'Ġ']);
});

test('training is deterministic and saves/loads through files', () => {
  const again = trainTokenizer(docs, { vocabSize: 700 });
  assert.deepEqual(again.tokenizerJson, trained.tokenizerJson);
  const dir = mkdtempSync(join(tmpdir(), 'bpe-'));
  try {
    saveTokenizer(dir, trained.tokenizerJson, trained.tokenizerConfig);
    const tok = loadTokenizer(dir);
    assert.deepEqual(
      tok.encode(docs[3]!, { allowSpecial: true }),
      new HfTokenizer(trained.tokenizerJson, trained.tokenizerConfig).encode(docs[3]!, { allowSpecial: true }),
    );
    assert.ok(tok.chatTemplate?.includes('<｜Assistant｜>'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad vocabulary sizes are clear errors', () => {
  assert.throws(() => trainTokenizer(docs, { vocabSize: 100 }), /vocab size must be an integer of at least 265/);
  assert.throws(() => trainBpe(['a'], [1, 2], { bpeVocabSize: 300 }), /1 words but 2 frequencies/);
});
