/**
 * `deepseek-ts serve --model <dir>`: the OpenAI-compatible API (`/v1/chat/completions` with
 * DeepSeek's reasoning_content, `/v1/models`, `/health`) and the web chat page at `/`, on
 * 127.0.0.1:8000 unless told otherwise. The API key comes from --api-key or DEEPSEEK_TS_API_KEY.
 */
import type { Command } from 'commander';
import type { BackendKind } from '../../kernels/index.js';
import { loadQuantization } from '../../models/qwen2/compact-load.js';
import { openChatModel } from '../../serve/load-model.js';
import { startServer } from '../../serve/server.js';
import { intOption } from '../options.js';

interface ServeFlags {
  model: string;
  host: string;
  port: number;
  apiKey?: string;
  modelName?: string;
  maxSlots?: number;
  quantize?: string;
  maxContext?: number;
  maxBodyBytes: number;
  mtp: boolean;
  backend: BackendKind;
  threads?: number;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API with a web chat page')
    .requiredOption(
      '--model <path>',
      'model folder (config.json, *.safetensors, tokenizer.json + tokenizer_config.json) or a Qwen2/Llama .gguf file',
    )
    .option('--host <host>', 'interface to bind (use 0.0.0.0 to expose it beyond this machine)', '127.0.0.1')
    .option('--port <n>', 'port (0 picks a free one)', intOption('--port'), 8000)
    .option('--api-key <key>', 'require "Authorization: Bearer <key>" on /v1/ (default: $DEEPSEEK_TS_API_KEY)')
    .option('--model-name <id>', 'model id clients send (default: the folder name)')
    .option(
      '--max-slots <n>',
      'concurrent sequences (continuous batching width; default 16, 2 for Qwen2/Llama models)',
      intOption('--max-slots'),
    )
    .option('--quantize <type>', 'Qwen2/Llama models: quantize BF16/F16/F32 weights at load (q8_0 or q4_0)')
    .option('--max-context <n>', 'tokens per sequence (default: max_position_embeddings)', intOption('--max-context'))
    .option('--max-body-bytes <n>', 'largest request body accepted', intOption('--max-body-bytes'), 1 << 20)
    .option('--no-mtp', 'do not use the MTP module for speculative decoding')
    .option('--backend <kind>', 'auto, wasm or reference', 'auto')
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .option('--quiet', 'do not log requests')
    .action(async (o: ServeFlags) => {
      const apiKey = o.apiKey ?? process.env.DEEPSEEK_TS_API_KEY;
      const m = await openChatModel(o.model, {
        backend: o.backend,
        threads: o.threads,
        maxSlots: o.maxSlots,
        maxContext: o.maxContext,
        mtp: o.mtp,
        ...(o.quantize ? { quantize: loadQuantization(o.quantize) } : {}),
      });
      for (const w of m.warnings) process.stderr.write(`warning: ${w}\n`);
      const modelId = o.modelName ?? m.name;
      const server = await startServer(m.service, {
        modelId,
        host: o.host,
        port: o.port,
        apiKey: apiKey || undefined,
        maxBodyBytes: o.maxBodyBytes,
        log: o.quiet ? undefined : (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
      process.stdout.write(
        `deepseek-ts serve: ${modelId} (context ${m.service.maxContext}, ${m.service.scheduler.model.maxSlots} slots${m.hasMtp ? ', MTP speculation' : ''}${apiKey ? ', API key required' : ''})\n`,
      );
      process.stdout.write(
        `  web chat  ${server.url}/\n  API       ${server.url}/v1  (POST /v1/chat/completions, GET /v1/models)\n`,
      );
      const stop = () => {
        void server.close().then(() => {
          m.dispose();
          process.exit(0);
        });
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
