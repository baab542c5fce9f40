/**
 * `deepseek-ts serve --model <dir>`: the OpenAI-compatible API (`/v1/chat/completions` with
 * DeepSeek's reasoning_content, `/v1/models`, `/health`) and the web chat page at `/`, on
 * 127.0.0.1:8000 unless told otherwise. The server flags (key, hosts, CORS, limits) are shared
 * with `start` (src/cli/serve-flags.ts).
 */
import type { Command } from 'commander';
import type { BackendKind } from '../../kernels/index.js';
import { loadQuantization } from '../../models/qwen2/compact-load.js';
import { openChatModel } from '../../serve/load-model.js';
import { startServer } from '../../serve/server.js';
import { intOption } from '../options.js';
import { addServerOptions, type ServerFlags, serverOptions } from '../serve-flags.js';

interface ServeFlags extends ServerFlags {
  model: string;
  modelName?: string;
  maxSlots?: number;
  quantize?: string;
  maxContext?: number;
  mtp: boolean;
  checkWeights: boolean;
  backend: BackendKind;
  threads?: number;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve a model over an OpenAI-compatible HTTP API with a web chat page')
    .requiredOption(
      '--model <path>',
      'model folder (config.json, *.safetensors, tokenizer.json + tokenizer_config.json) or a .gguf file (qwen2, llama, deepseek2)',
    );
  addServerOptions(cmd)
    .option('--model-name <id>', 'model id clients send (default: the folder name)')
    .option(
      '--max-slots <n>',
      'concurrent sequences (continuous batching width; default 16, 2 for Qwen2/Llama models)',
      intOption('--max-slots'),
    )
    .option('--quantize <type>', 'Qwen2/Llama models: quantize BF16/F16/F32 weights at load (q8_0 or q4_0)')
    .option('--max-context <n>', 'tokens per sequence (default: max_position_embeddings)', intOption('--max-context'))
    .option('--no-mtp', 'do not use the MTP module for speculative decoding')
    .option('--no-check-weights', 'skip the pass over the weights for NaN/Inf at load')
    .option('--backend <kind>', 'auto, wasm or reference', 'auto')
    .option('--threads <n>', 'worker threads (default: all cores)', intOption('--threads'))
    .option('--quiet', 'do not log requests')
    .action(async (o: ServeFlags) => {
      const m = await openChatModel(o.model, {
        backend: o.backend,
        threads: o.threads,
        maxSlots: o.maxSlots,
        maxContext: o.maxContext,
        mtp: o.mtp,
        ...(o.quantize ? { quantize: loadQuantization(o.quantize) } : {}),
        checkWeights: o.checkWeights,
      });
      for (const w of m.warnings) process.stderr.write(`warning: ${w}\n`);
      const modelId = o.modelName ?? m.name;
      const settings = serverOptions(o);
      const server = await startServer(m.service, {
        modelId,
        ...settings,
        log: o.quiet ? undefined : (line) => process.stderr.write(`${new Date().toISOString()} ${line}\n`),
      });
      process.stdout.write(
        `deepseek-ts serve: ${modelId} (context ${m.service.maxContext}, ${m.service.scheduler.model.maxSlots} ` +
          `slots${m.hasMtp ? ', MTP speculation' : ''}${settings.apiKey ? ', API key required' : ''})\n`,
      );
      process.stdout.write(
        `  web chat  ${server.url}/\n  API       ${server.url}/v1  (POST /v1/chat/completions, POST /v1/completions, GET /v1/models)\n`,
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
