/**
 * `deepseek-ts chat --model <dir>`: a terminal chat. Replies stream as they are generated; the
 * thinking (reasoning_content) is shown dimmed, or hidden with --hide-thinking. /clear starts over,
 * /exit (or Ctrl+D) leaves, Ctrl+C stops the reply being generated.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { BackendKind } from '../../kernels/index.js';
import type { ChatMessage } from '../../tokenizer/chat.js';
import { R1_SAMPLING } from '../../inference/sampling.js';
import { loadQuantization } from '../../models/qwen2/compact-load.js';
import { openChatModel } from '../../serve/load-model.js';
import { intOption, numberOption } from '../options.js';

interface ChatFlags {
  model: string;
  hideThinking?: boolean;
  temperature: number;
  topP: number;
  maxTokens?: number;
  seed?: number;
  system?: string;
  mtp: boolean;
  backend: BackendKind;
  threads?: number;
  quantize?: string;
}

export function register(program: Command): void {
  program
    .command('chat')
    .description('chat with a model in the terminal (streaming, thinking shown dimmed)')
    .requiredOption(
      '--model <path>',
      'model folder (config.json, *.safetensors, tokenizer.json + tokenizer_config.json) or a .gguf file (qwen2, llama, deepseek2)',
    )
    .option('--quantize <type>', 'Qwen2/Llama models: quantize BF16/F16/F32 weights at load (q8_0 or q4_0)')
    .option('--hide-thinking', 'do not show the reasoning, only the answer')
    .option(
      '--temperature <t>',
      'sampling temperature (0 = greedy)',
      numberOption('--temperature'),
      R1_SAMPLING.temperature,
    )
    .option('--top-p <p>', 'nucleus sampling mass', numberOption('--top-p'), R1_SAMPLING.topP)
    .option('--max-tokens <n>', 'most tokens per reply (default: the rest of the context)', intOption('--max-tokens'))
    .option('--seed <n>', 'sampling seed (same seed, same reply)', intOption('--seed'))
    .option('--system <text>', 'system prompt')
    .option('--no-mtp', 'do not use the MTP module for speculative decoding')
    .option('--backend <kind>', 'auto, wasm or reference', 'auto')
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .action(async (o: ChatFlags) => {
      const m = await openChatModel(o.model, {
        backend: o.backend,
        threads: o.threads,
        maxSlots: 1,
        mtp: o.mtp,
        ...(o.quantize ? { quantize: loadQuantization(o.quantize) } : {}),
      });
      for (const w of m.warnings) process.stderr.write(`warning: ${w}\n`);
      const out = process.stdout;
      const tty = out.isTTY === true;
      const dim = (s: string) => (tty ? `\x1b[2m${s}\x1b[22m` : s);
      out.write(
        `deepseek-ts chat: ${m.name}. /clear starts over, /exit leaves${tty ? ', Ctrl+C stops a reply' : ''}.\n`,
      );
      const history: ChatMessage[] = o.system ? [{ role: 'system', content: o.system }] : [];
      const rl = createInterface({ input: process.stdin, output: out, terminal: tty });
      let current: AbortController | undefined;
      // Piped input ends (and closes the interface) while earlier lines are still being answered; the
      // iterator still yields the buffered lines, but Node 24 throws on prompting a closed interface.
      let closed = false;
      rl.on('close', () => {
        closed = true;
      });
      const prompt = () => {
        if (!closed) rl.prompt();
      };
      rl.on('SIGINT', () => {
        if (current) current.abort();
        else rl.close();
      });
      rl.setPrompt('> ');
      prompt();
      for await (const raw of rl) {
        const line = raw.trim();
        if (line === '/exit' || line === '/quit') break;
        if (line === '/clear') {
          history.splice(o.system ? 1 : 0);
          out.write('(conversation cleared)\n');
          prompt();
          continue;
        }
        if (line === '') {
          prompt();
          continue;
        }
        history.push({ role: 'user', content: line });
        const prepared = m.service.prepare({
          messages: history,
          maxTokens: o.maxTokens,
          temperature: o.temperature,
          topP: o.topP,
          topK: 0,
          seed: o.seed,
          stop: [],
          n: 1,
          logprobs: false,
        });
        if (prepared.prompt.ids.length >= m.service.maxContext) {
          out.write(
            `(the conversation is ${prepared.prompt.ids.length} tokens, over the ${m.service.maxContext}-token context; /clear to start over)\n`,
          );
          history.pop();
          prompt();
          continue;
        }
        current = new AbortController();
        let answer = '',
          thinking = false,
          finish = '';
        try {
          for await (const ev of m.service.stream(prepared, current.signal)) {
            if (ev.type === 'finish') {
              finish = ev.reason;
              continue;
            }
            if (ev.reasoning && !o.hideThinking) {
              if (!thinking) {
                out.write(dim('[thinking] '));
                thinking = true;
              }
              out.write(dim(ev.reasoning));
            }
            if (ev.content) {
              if (thinking) {
                out.write('\n\n');
                thinking = false;
              }
              out.write(ev.content);
              answer += ev.content;
            }
          }
        } catch (err) {
          out.write(`\n(error: ${(err as Error).message})`);
        }
        out.write(
          current.signal.aborted ? '\n(stopped)\n' : finish === 'length' ? '\n(cut at the token limit)\n' : '\n',
        );
        current = undefined;
        history.push({ role: 'assistant', content: answer });
        prompt();
      }
      rl.close();
      m.dispose();
    });
}
