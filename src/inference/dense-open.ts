/**
 * Opening a real Qwen2 / Llama causal LM for generation: a Hugging Face folder (config.json with
 * model_type qwen2 or llama, safetensors weights, tokenizer.json + tokenizer_config.json) or a
 * llama.cpp GGUF file (qwen2 / llama, tokenizer and chat template from its metadata). Weights stay
 * compact (src/models/qwen2/compact-load.ts); the model is served through the same CausalLM seam
 * as DeepSeek-V3 (DenseLM), so the Scheduler, the chat service and the API are shared.
 *
 * Memory: the KV cache (float32, maxSlots x maxContext) is part of the fit check, so a model that
 * cannot fit the 4 GiB wasm32 memory is refused before anything is allocated. maxContext defaults
 * to min(max_position_embeddings, 4096): the R1-Distill configs declare 131072 positions, whose
 * cache alone would not fit.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createBackend, type BackendKind } from '../kernels/index.js';
import {
  type CompactDense,
  type LoadQuantization,
  loadDenseFolder,
  loadDenseGguf,
} from '../models/qwen2/compact-load.js';
import { DenseModel } from '../models/qwen2/model.js';
import { Engine } from '../tensor/index.js';
import { ggufTokenizer } from '../tokenizer/gguf-vocab.js';
import { type HfTokenizer, loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { DenseLM } from './dense-adapter.js';
import { kvRuntimeBytes } from './memory-estimate.js';

/** Default context for real dense models (see the header). */
export const DENSE_DEFAULT_CONTEXT = 4096;
/** Default concurrent sequences for real dense models. */
export const DENSE_DEFAULT_SLOTS = 2;

export interface DenseOpenOptions {
  backend?: BackendKind;
  threads?: number;
  maxSlots?: number;
  maxContext?: number;
  quantize?: LoadQuantization;
}

/** A dense model ready for the Scheduler. */
export interface OpenedDense {
  lm: DenseLM;
  tokenizer: HfTokenizer;
  /** Stop ids the file itself declares (GGUF eos / eot); a folder's come from generation_config.json. */
  fileStopIds: number[];
  name: string;
  /** A short description of the weights ("qwen2, BF16 x197"). */
  weights: string;
  warnings: string[];
  dispose(): void;
}

/** True when `path` is a GGUF file or a folder whose config.json is a Qwen2 / Llama model. */
export function isDenseModelPath(path: string): boolean {
  if (path.endsWith('.gguf')) return true;
  const cfg = join(path, 'config.json');
  if (!existsSync(cfg)) return false;
  try {
    const mt = (JSON.parse(readFileSync(cfg, 'utf8')) as { model_type?: unknown }).model_type;
    return mt === 'qwen2' || mt === 'llama';
  } catch {
    return false;
  }
}

/** Loads weights, tokenizer and adapter. */
export async function openDenseLM(path: string, o: DenseOpenOptions = {}): Promise<OpenedDense> {
  const gguf = path.endsWith('.gguf');
  const tokenizer = gguf ? undefined : loadTokenizer(path);
  const backend = await createBackend({ kind: o.backend ?? 'auto', threads: o.threads });
  const engine = new Engine(backend);
  let loaded: CompactDense | undefined;
  try {
    const slots = o.maxSlots ?? DENSE_DEFAULT_SLOTS;
    const context = (max: number): number => o.maxContext ?? Math.min(max, DENSE_DEFAULT_CONTEXT);
    const load = {
      ...(o.quantize ? { quantize: o.quantize } : {}),
      runtimeBytes: (c: CompactDense['config']) =>
        kvRuntimeBytes({
          layers: c.num_hidden_layers,
          kvHeads: c.num_key_value_heads,
          headDim: c.head_dim,
          maxContext: context(c.max_position_embeddings),
          slots,
          vocab: c.vocab_size,
        }),
    };
    let tok: HfTokenizer, fileStopIds: number[];
    if (gguf) {
      const g = await loadDenseGguf(engine, path, load);
      loaded = g;
      ({ tokenizer: tok, stopIds: fileStopIds } = ggufTokenizer(g.metadata, path));
    } else {
      loaded = await loadDenseFolder(engine, path, load);
      tok = tokenizer!;
      fileStopIds = [];
    }
    const c = loaded.config;
    if (tok.vocabSize > c.vocab_size)
      throw new Error(`${path}: the tokenizer has ${tok.vocabSize} ids but the model's vocab_size is ${c.vocab_size}`);
    const maxContext = context(c.max_position_embeddings);
    const model = new DenseModel(engine, c, loaded.params, maxContext, loaded.compact);
    const lm = new DenseLM(model, { maxSlots: slots, maxContext });
    const types = new Map<string, number>();
    for (const w of loaded.compact.values()) types.set(w.typeName, (types.get(w.typeName) ?? 0) + 1);
    const weights = `${c.model_type}, ${[...types].map(([t, n]) => `${t} x${n}`).join(', ')}`;
    const done = loaded;
    return {
      lm,
      tokenizer: tok,
      fileStopIds,
      name: basename(path).replace(/\.gguf$/, ''),
      weights,
      warnings: loaded.warnings,
      dispose: () => {
        lm.dispose();
        model.dispose();
        done.dispose();
        backend.dispose();
      },
    };
  } catch (err) {
    loaded?.dispose();
    backend.dispose();
    throw err;
  }
}
