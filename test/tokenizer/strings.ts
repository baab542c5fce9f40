/**
 * Seeded generator of varied test strings for tokenizer comparisons: code, maths, CJK, kana, emoji
 * (with ZWJ and skin tones), whitespace runs, digit runs, accents, RTL text and special-token text.
 */
import { Rng } from '../../src/tasks/rng.js';

const PIECES = [
  'function f(x) {\n  return x * 2;\n}\n',
  'const a = [1, 2, 3];',
  'if (a<=b && c!==d) { y++; }',
  '\tdef g(self):\n\t\tpass\n',
  'x^2 + 3x - 7 = 0',
  '∫₀¹ x² dx = 1/3',
  '√(a²+b²)',
  '3.14159265358979',
  '1e-10',
  '-0.5',
  '(12+34)*56/78',
  '你好，世界！',
  '我们来解这个方程。',
  '答案是42。',
  'こんにちは',
  'カタカナ',
  '한국어 텍스트',
  '中文English混合',
  '😀',
  '👍🏽',
  '👨‍👩‍👧‍👦',
  '🇺🇸',
  '❤️',
  'é',
  'e\u0301',
  'ñandú',
  'straße',
  'Ελληνικά',
  'русский язык',
  'مرحبا',
  'שלום',
  ' ',
  '  ',
  '    ',
  '\n',
  '\n\n',
  '\r\n',
  '\t',
  ' \n ',
  '\u00a0',
  '\u3000',
  'Hello',
  'hello world',
  "it's",
  "we'll",
  "I'M",
  "DON'T",
  'URL: https://example.com/a?b=c&d=e',
  'user@example.com',
  '<think>',
  '</think>',
  '<answer>',
  '</answer>',
  '<｜User｜>',
  '<｜Assistant｜>',
  '<｜begin▁of▁sentence｜>',
  '<｜end▁of▁sentence｜>',
  '<｜User',
  '<thi',
  'nk>',
  '$$',
  '```python',
  '```',
  '#!/bin/sh',
  '// comment',
  '/* c */',
  '"quoted"',
  '...',
  '—',
  '…',
];

function digits(rng: Rng): string {
  let s = '';
  const n = rng.int(1, 14);
  for (let i = 0; i < n; i++) s += String(rng.int(0, 9));
  return s;
}

/** `count` strings, deterministic for a seed. */
export function variedStrings(count: number, seed: number): string[] {
  const rng = new Rng(seed);
  const out: string[] = ['', ' ', 'a', '0', '00000', '1234567', ' 1234', '\n\n\n', '   x   '];
  while (out.length < count) {
    const parts = rng.int(1, 8);
    let s = '';
    for (let i = 0; i < parts; i++) {
      const kind = rng.int(0, 9);
      if (kind < 6) s += rng.pick(PIECES);
      else if (kind < 8) s += digits(rng);
      else if (kind < 9) s += ' '.repeat(rng.int(1, 6));
      else s += String.fromCodePoint(rng.int(0x20, 0x2fff));
    }
    out.push(s);
  }
  return out;
}
