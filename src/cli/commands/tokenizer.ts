/** `deepseek-ts tokenizer train`: byte-level BPE with DeepSeek's pre-tokenization and R1 tokens. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { saveTokenizer } from '../../tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../tokenizer/train.js';

/** Documents of an input file: JSONL lines (a JSON string or an object with "text"), else blank-line-separated text. */
function* documents(path: string): Generator<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`tokenizer train: cannot read --input ${path}: ${(err as Error).message}`);
  }
  if (!path.endsWith('.jsonl')) {
    yield* text.split(/\n{2,}/);
    return;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(lines[i]!);
    } catch (err) {
      throw new Error(`tokenizer train: ${path}:${i + 1}: invalid JSON: ${(err as Error).message}`);
    }
    if (typeof v === 'string') yield v;
    else if (typeof v === 'object' && v !== null && typeof (v as { text?: unknown }).text === 'string')
      yield (v as { text: string }).text;
    else throw new Error(`tokenizer train: ${path}:${i + 1}: expected a JSON string or an object with a "text" string`);
  }
}

export function register(program: Command): void {
  const tok = program.command('tokenizer').description('tokenizer tools');
  tok
    .command('train')
    .description(
      'train a byte-level BPE tokenizer (DeepSeek-V3 pre-tokenization, R1 special tokens); writes tokenizer.json + tokenizer_config.json',
    )
    .requiredOption(
      '--input <files...>',
      'training text: .jsonl (JSON strings or {"text": ...} per line) or plain text files',
    )
    .requiredOption('--out <dir>', 'output folder')
    .option('--vocab-size <n>', 'total vocabulary size including the 256 bytes and added tokens', '4096')
    .option('--min-frequency <n>', 'never merge pairs seen fewer times', '2')
    .action((opts: { input: string[]; out: string; vocabSize: string; minFrequency: string }) => {
      const vocabSize = Number(opts.vocabSize),
        minFrequency = Number(opts.minFrequency);
      if (!Number.isInteger(vocabSize))
        throw new Error(`tokenizer train: --vocab-size must be an integer, got ${JSON.stringify(opts.vocabSize)}`);
      if (!Number.isInteger(minFrequency) || minFrequency < 1)
        throw new Error(
          `tokenizer train: --min-frequency must be a positive integer, got ${JSON.stringify(opts.minFrequency)}`,
        );
      const t0 = Date.now();
      const docs = (function* () {
        for (const f of opts.input) yield* documents(f);
      })();
      const r = trainTokenizer(docs, {
        vocabSize,
        minFrequency,
        onProgress: (done, total) => process.stderr.write(`\rmerges ${done}/${total}`),
      });
      process.stderr.write('\n');
      saveTokenizer(opts.out, r.tokenizerJson, r.tokenizerConfig);
      process.stdout.write(`${JSON.stringify({ out: opts.out, ...r.stats, seconds: (Date.now() - t0) / 1000 })}\n`);
    });
}
