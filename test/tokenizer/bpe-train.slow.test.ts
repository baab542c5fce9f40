/**
 * The speed figure: train a 4,096-token byte-level BPE on 10 MB of text in under a
 * minute on the 2-core machine. The text mixes our generated reasoning corpus (English and
 * Chinese) with TypeScript's bundled declaration files (English prose and code), so the merges do
 * not run out before 4k. Also checks the result encodes identically in @lenml/tokenizers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { BpeEncoder } from '../../src/tokenizer/bpe-encode.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { TASKS } from '../../src/tasks/registry.js';
import { generateProblems } from '../../src/tasks/splits.js';
import { r1ZeroDocument } from '../../src/data/documents.js';

test('4k vocabulary on 10 MB of text in under a minute', () => {
  const docs: string[] = [];
  let chars = 0;
  for (const task of TASKS) {
    for (const p of generateProblems({ task, split: 'train', count: 2500, seed: 1 })) {
      const s = task.solve(p);
      const t = r1ZeroDocument(p.prompt, s.steps.join('\n'), s.answer).text;
      docs.push(t);
      chars += t.length;
    }
  }
  const lib = fileURLToPath(new URL('../../../node_modules/typescript/lib/', import.meta.url));
  for (const f of readdirSync(lib)
    .filter((n) => n.endsWith('.d.ts'))
    .sort()) {
    if (chars >= 10_000_000) break;
    const t = readFileSync(join(lib, f), 'utf8').slice(0, 10_000_000 - chars);
    docs.push(...t.split(/\n{2,}/));
    chars += t.length;
  }
  assert.ok(chars >= 9_900_000, `only ${chars} chars of text`);
  const t0 = performance.now();
  const r = trainTokenizer(docs, { vocabSize: 4096 });
  const seconds = (performance.now() - t0) / 1000;
  process.stderr.write(
    `bpe-train: ${r.stats.chars} chars, ${r.stats.uniqueWords} unique words, ${r.stats.merges} merges in ${seconds.toFixed(2)} s\n`,
  );
  assert.equal(r.stats.vocabSize, 4096);
  assert.ok(seconds < 60, `training took ${seconds} s`);
  const tok = new HfTokenizer(r.tokenizerJson, r.tokenizerConfig);
  const ours = new BpeEncoder(r.tokenizerJson);
  for (const d of docs.filter((_, i) => i % 97 === 0))
    assert.deepEqual(ours.encode(d, true), tok.encode(d, { allowSpecial: true }));
});
