/** Single-digit pre-tokenization (the `digits: "single"` tokenizer option): every digit is its own piece. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  compileSplitPatterns,
  DEEPSEEK_SPLIT_PATTERNS,
  preTokenize,
  SINGLE_DIGIT_SPLIT_PATTERNS,
} from '../../src/tokenizer/pretokenize.js';
import { parseDataConfig } from '../../src/data/config.js';

it('splits digit runs into single digits instead of groups of 1-3', () => {
  const text = 'Calculate 12345 + 678.';
  assert.deepEqual(
    preTokenize(text, compileSplitPatterns(DEEPSEEK_SPLIT_PATTERNS)).filter((p) => /\d/.test(p)),
    ['123', '45', '678'],
  );
  assert.deepEqual(
    preTokenize(text, compileSplitPatterns(SINGLE_DIGIT_SPLIT_PATTERNS)).filter((p) => /\d/.test(p)),
    ['1', '2', '3', '4', '5', '6', '7', '8'],
  );
});

it('the data config takes digits: single, defaults to groups, and rejects anything else', () => {
  const base = { tokenizer: { train: { vocab_size: 512 } } };
  const c = parseDataConfig(base);
  assert.ok(c.tokenizer && 'train' in c.tokenizer && c.tokenizer.train.digits === 'groups');
  assert.throws(() => parseDataConfig({ tokenizer: { train: { vocab_size: 512, digits: 'pairs' } } }), /tokenizer/);
});
