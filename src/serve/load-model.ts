/**
 * Opens a Hugging Face style model folder for chat: config.json + safetensors weights (DeepSeek-V3
 * layout, or a Qwen2 / Llama causal LM such as DeepSeek-R1-Distill-Qwen), or a GGUF file (qwen2 /
 * llama with compact weights; deepseek2 dequantized to float32, src/models/deepseek-v3/gguf-import.ts),
 * tokenizer.json (+ tokenizer_config.json with the chat template), and optionally
 * generation_config.json, whose eos_token_id joins the tokenizer's EOS as stop tokens. Returns the
 * chat service (engine -> scheduler -> text layer) that `serve`, `chat` and `bench serve` share.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { createBackend, type BackendKind } from '../kernels/index.js';
import { disposeParams, loadParams } from '../models/deepseek-v3/checkpoint.js';
import { type DeepseekV3Config, readDeepseekV3Config } from '../models/deepseek-v3/config.js';
import { ggufArchitecture, loadDeepseekGguf } from '../models/deepseek-v3/gguf-import.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { DeepseekV3LM } from '../inference/deepseek-adapter.js';
import { isDenseModelPath, openDenseLM } from '../inference/dense-open.js';
import type { LoadQuantization } from '../models/qwen2/compact-load.js';
import { checkMemory, deepseekMemoryParts } from '../inference/memory-estimate.js';
import { Scheduler } from '../inference/scheduler.js';
import { Engine, type Tensor } from '../tensor/index.js';
import { ggufTokenizer } from '../tokenizer/gguf-vocab.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { ChatService } from './chat-service.js';
import { nonFiniteTensors, nonFiniteWarnings } from './check-weights.js';

/** Options of openChatModel. */
export interface OpenModelOptions {
  backend?: BackendKind;
  threads?: number;
  /** Concurrent sequences (default 16). */
  maxSlots?: number;
  /** Tokens per sequence (default: max_position_embeddings). */
  maxContext?: number;
  /** MTP speculative decoding when the checkpoint has an MTP module (default true). */
  mtp?: boolean;
  /** Qwen2 / Llama models: quantize float weights at load. */
  quantize?: LoadQuantization;
  /** Scan the weights once for NaN/Inf and warn (default true). */
  checkWeights?: boolean;
}

/** A loaded model ready to chat. */
export interface ChatModel {
  service: ChatService;
  /** Folder name, the default model id. */
  name: string;
  warnings: string[];
  hasMtp: boolean;
  dispose(): void;
}

/** eos_token_id of generation_config.json (a number or a list), when the file exists. */
export function generationStopIds(dir: string): number[] {
  const path = join(dir, 'generation_config.json');
  if (!existsSync(path)) return [];
  let json: { eos_token_id?: unknown };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as { eos_token_id?: unknown };
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message})`);
  }
  const ids = Array.isArray(json.eos_token_id)
    ? json.eos_token_id
    : json.eos_token_id === undefined
      ? []
      : [json.eos_token_id];
  for (const id of ids)
    if (!Number.isInteger(id))
      throw new Error(`${path}: eos_token_id holds ${JSON.stringify(id)}; expected integer token ids`);
  return ids as number[];
}

/** Stop tokens of a model folder: the tokenizer's EOS plus generation_config's. */
export function stopTokensOf(tokenizer: Tokenizer, dir: string): number[] {
  const ids = new Set(generationStopIds(dir));
  if (tokenizer.eosId !== undefined) ids.add(tokenizer.eosId);
  if (ids.size === 0)
    throw new Error(
      `${dir}: no EOS token (tokenizer_config.json eos_token or generation_config.json eos_token_id); generation could never stop`,
    );
  return [...ids];
}

/**
 * Loads weights, tokenizer and settings from `dir`: a DeepSeek-V3 folder, or a Qwen2 / Llama
 * folder or GGUF file (compact weights, src/inference/dense-open.ts) behind the same engine.
 */
export async function openChatModel(dir: string, options: OpenModelOptions = {}): Promise<ChatModel> {
  const root = resolve(dir);
  const gguf = root.endsWith('.gguf');
  if (gguf ? (await ggufArchitecture(root)) !== 'deepseek2' : isDenseModelPath(root)) {
    const d = await openDenseLM(root, {
      backend: options.backend,
      threads: options.threads,
      maxSlots: options.maxSlots,
      maxContext: options.maxContext,
      ...(options.quantize ? { quantize: options.quantize } : {}),
    });
    const stops = gguf ? ggufStops(d.fileStopIds, d.tokenizer) : stopTokensOf(d.tokenizer, root);
    if (stops.length === 0) throw new Error(`${dir}: no EOS token in the GGUF metadata; generation could never stop`);
    return {
      service: new ChatService(new Scheduler(d.lm), d.tokenizer, stops),
      name: d.name,
      warnings: d.warnings,
      hasMtp: false,
      dispose: d.dispose,
    };
  }
  if (!gguf && !existsSync(join(root, 'config.json')))
    throw new Error(
      `--model ${dir}: no config.json there; expected a Hugging Face style folder (config.json, *.safetensors, tokenizer.json)`,
    );
  // Sized before anything is allocated: weights, RoPE tables and KV cache for the context served.
  const fits = (config: DeepseekV3Config) => {
    checkMemory({
      source: dir,
      parts: deepseekMemoryParts(config, {
        slots: options.maxSlots ?? 16,
        context: options.maxContext ?? config.max_position_embeddings,
        contextField:
          options.maxContext === undefined ? 'max_position_embeddings (or pass --max-context)' : '--max-context',
      }),
    });
  };
  const folder = gguf ? undefined : await readFolder(root, dir, fits); // refused before any allocation
  const backend = await createBackend({ kind: options.backend ?? 'auto', threads: options.threads });
  const engine = new Engine(backend);
  let opened: {
    config: DeepseekV3Config;
    params: Map<string, Tensor>;
    warnings: string[];
    tokenizer: Tokenizer;
    stops: number[];
  };
  try {
    opened = gguf ? await openGguf(engine, root, fits) : await loadFolder(engine, root, folder!);
  } catch (err) {
    backend.dispose();
    throw err;
  }
  const { config, params, tokenizer } = opened;
  const weightWarnings = options.checkWeights === false ? [] : nonFiniteWarnings(nonFiniteTensors(engine, params));
  const context = options.maxContext ?? config.max_position_embeddings;
  const model = new DeepseekV3(engine, config, params, { maxLen: context }); // RoPE for the served context
  const lm = new DeepseekV3LM(model, { maxSlots: options.maxSlots, maxContext: options.maxContext, mtp: options.mtp });
  const service = new ChatService(new Scheduler(lm), tokenizer, opened.stops);
  return {
    service,
    name: basename(root).replace(/\.gguf$/, ''),
    warnings: [...opened.warnings, ...weightWarnings],
    hasMtp: lm.draft !== undefined,
    dispose: () => {
      lm.dispose();
      model.dispose();
      disposeParams(params);
      backend.dispose();
    },
  };
}

/** A GGUF file's stop ids: its eos and eot, and the tokenizer's EOS. */
function ggufStops(fileStopIds: readonly number[], tokenizer: Tokenizer): number[] {
  return [...new Set([...fileStopIds, ...(tokenizer.eosId !== undefined ? [tokenizer.eosId] : [])])];
}

/** A folder's config and tokenizer, checked against each other and the memory before loading. */
async function readFolder(root: string, dir: string, fits: (c: DeepseekV3Config) => void) {
  const { config, warnings } = await readDeepseekV3Config(join(root, 'config.json'));
  const tokenizer = loadTokenizer(root);
  if (tokenizer.vocabSize > config.vocab_size)
    throw new Error(
      `${dir}: the tokenizer has ${tokenizer.vocabSize} ids but config.json vocab_size is ${config.vocab_size}`,
    );
  fits(config);
  return { config, warnings, tokenizer };
}

async function loadFolder(engine: Engine, root: string, f: Awaited<ReturnType<typeof readFolder>>) {
  const loaded = await loadParams(engine, f.config, root);
  return {
    config: f.config,
    params: loaded.params,
    warnings: [...f.warnings, ...loaded.warnings],
    tokenizer: f.tokenizer,
    stops: stopTokensOf(f.tokenizer, root),
  };
}

/** A deepseek2 GGUF file: weights dequantized to float32, tokenizer and chat template from its metadata. */
async function openGguf(engine: Engine, root: string, fits: (c: DeepseekV3Config) => void) {
  const g = await loadDeepseekGguf(engine, root, fits);
  try {
    const { tokenizer, stopIds } = ggufTokenizer(g.metadata, root);
    if (tokenizer.vocabSize > g.config.vocab_size)
      throw new Error(
        `${root}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocab_size is ${g.config.vocab_size}`,
      );
    const stops = ggufStops(stopIds, tokenizer);
    if (stops.length === 0) throw new Error(`${root}: no EOS token in the GGUF metadata; generation could never stop`);
    return { config: g.config, params: g.params, warnings: g.warnings, tokenizer, stops };
  } catch (err) {
    disposeParams(g.params);
    throw err;
  }
}
