/**
 * `deepseek-ts tokenize --tokenizer <tokenizer.json> --jsonl <file>`: each input line is a JSON
 * string; prints one JSON array of ids per line. No special tokens are added; added-token text is
 * matched as the Hugging Face tokenizers match it.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadTokenizer } from '../../tokenizer/hf-tokenizer.js';

export function register(program: Command): void {
  program
    .command('tokenize')
    .description(
      'encode texts with a Hugging Face tokenizer.json: one JSON string per input line, one JSON array of ids per output line',
    )
    .requiredOption(
      '--tokenizer <path>',
      'tokenizer.json (or its folder; tokenizer_config.json beside it is read if present)',
    )
    .requiredOption('--jsonl <file>', 'input file, one JSON string per line ("-" for stdin)')
    .action((opts: { tokenizer: string; jsonl: string }) => {
      const tok = loadTokenizer(opts.tokenizer);
      let text: string;
      try {
        text = readFileSync(opts.jsonl === '-' ? 0 : opts.jsonl, 'utf8');
      } catch (err) {
        throw new Error(`tokenize: cannot read --jsonl ${opts.jsonl}: ${(err as Error).message}`);
      }
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      const out: string[] = [];
      lines.forEach((line, i) => {
        let v: unknown;
        try {
          v = JSON.parse(line);
        } catch (err) {
          throw new Error(`tokenize: ${opts.jsonl}:${i + 1}: invalid JSON: ${(err as Error).message}`);
        }
        if (typeof v !== 'string')
          throw new Error(
            `tokenize: ${opts.jsonl}:${i + 1}: expected a JSON string, got ${Array.isArray(v) ? 'array' : typeof v}`,
          );
        out.push(JSON.stringify(tok.encode(v, { allowSpecial: true })));
      });
      process.stdout.write(out.length ? `${out.join('\n')}\n` : '');
    });
}
