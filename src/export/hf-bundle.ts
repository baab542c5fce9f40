/**
 * Hugging Face export bundles, the layout vLLM, SGLang and transformers load
 * (`save_pretrained` of DeepseekV3ForCausalLM): `config.json`, `model.safetensors` (sharded with
 * `model.safetensors.index.json` above `maxShardBytes`), `tokenizer.json`, `tokenizer_config.json`
 * with the chat template, and `generation_config.json` with DeepSeek-R1's recommended sampling
 * (temperature 0.6, top-p 0.95; R1 model card, "Usage Recommendations").
 *
 * With `fp8: true` the bundle is DeepSeek's FP8 layout instead (fp8-checkpoint.ts): E4M3 linear
 * weights with float32 `weight_scale_inv` per 128x128 block and `quantization_config` in
 * config.json; the report gives the round-trip error.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { fromNumbers, toFloat32 } from '../io/dtypes.js';
import type { StoredTensor } from '../io/safetensors.js';
import { writeSafetensorsCheckpoint } from '../io/safetensors-checkpoint.js';
import { toConfigJson } from '../models/deepseek-v3/config.js';
import { R1_CHAT_TEMPLATE } from '../tokenizer/chat.js';
import type { AnyCheckpoint } from './checkpoint.js';
import {
  DEEPSEEK_FP8_CONFIG,
  denseFp8TensorNames,
  type Fp8Report,
  fp8TensorNames,
  quantizeCheckpointFp8,
} from './fp8-checkpoint.js';

/** Options for writing a bundle. */
export interface HfBundleOptions {
  /** Largest safetensors shard in bytes (default 5 GB, as transformers). */
  readonly maxShardBytes?: number;
  /** Float dtype of the stored weights: keep the checkpoint's (default), F32 or BF16. */
  readonly dtype?: 'keep' | 'F32' | 'BF16';
  /** Write DeepSeek's FP8 block-quantised layout. */
  readonly fp8?: boolean;
  /** Folder to take tokenizer.json / tokenizer_config.json from (default: the checkpoint's). */
  readonly tokenizerDir?: string;
  /** A Jinja chat_template to write into tokenizer_config.json instead of the source's. */
  readonly chatTemplate?: string;
}

/** What was written. */
export interface HfBundleResult {
  readonly files: string[];
  readonly fp8?: Fp8Report;
  readonly warnings: string[];
}

/** R1's recommended sampling, as generation_config.json. */
export function generationConfig(bos: number | null, eos: number | readonly number[] | null): Record<string, unknown> {
  return {
    _from_model_config: true,
    bos_token_id: bos,
    eos_token_id: eos,
    do_sample: true,
    temperature: 0.6,
    top_p: 0.95,
  };
}

async function writeJson(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function castTensors(tensors: ReadonlyMap<string, StoredTensor>, dtype: 'F32' | 'BF16'): Map<string, StoredTensor> {
  const out = new Map<string, StoredTensor>();
  for (const [name, t] of tensors) {
    const isFloat = t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16' || t.dtype === 'F64';
    out.set(
      name,
      isFloat && t.dtype !== dtype
        ? { dtype, shape: t.shape, data: fromNumbers(dtype, toFloat32(t.dtype, t.data)) }
        : t,
    );
  }
  return out;
}

/** Copies tokenizer.json and writes tokenizer_config.json (adding the R1 chat template when absent). */
async function writeTokenizerFiles(
  srcDir: string,
  outDir: string,
  files: string[],
  warnings: string[],
  chatTemplate?: string,
): Promise<void> {
  const tokPath = join(srcDir, 'tokenizer.json');
  if (!(await exists(tokPath))) {
    warnings.push(
      `no tokenizer.json in ${srcDir}; the bundle has no tokenizer (pass a tokenizer folder to include one)`,
    );
    return;
  }
  await writeFileAtomic(join(outDir, 'tokenizer.json'), await readFile(tokPath));
  files.push('tokenizer.json');
  const cfgPath = join(srcDir, 'tokenizer_config.json');
  const cfg: Record<string, unknown> = (await exists(cfgPath))
    ? JSON.parse(await readFile(cfgPath, 'utf8'))
    : { tokenizer_class: 'PreTrainedTokenizerFast' };
  if (chatTemplate !== undefined) cfg.chat_template = chatTemplate;
  else if (typeof cfg.chat_template !== 'string') {
    cfg.chat_template = R1_CHAT_TEMPLATE;
    warnings.push('tokenizer_config.json had no chat_template; added the R1 chat template');
  }
  await writeJson(join(outDir, 'tokenizer_config.json'), cfg);
  files.push('tokenizer_config.json');
}

/** The config.json object of a bundle, without any quantization_config. */
function bundleConfigJson(ck: AnyCheckpoint): Record<string, unknown> {
  if (ck.kind === 'dense') {
    const { quantization_config: _q, ...rest } = ck.rawConfig;
    return { ...rest, architectures: ck.config.architectures };
  }
  const { quantization_config: _dropped, ...config } = ck.config;
  return toConfigJson(config);
}

/** Writes a Hugging Face bundle (or DeepSeek's FP8 layout) of a loaded checkpoint into `outDir`. */
export async function writeHfBundle(
  ck: AnyCheckpoint,
  outDir: string,
  options: HfBundleOptions = {},
): Promise<HfBundleResult> {
  const warnings: string[] = [];
  let tensors: Map<string, StoredTensor> = ck.tensors;
  const dtype = options.dtype ?? 'keep';
  if (dtype !== 'keep') tensors = castTensors(tensors, dtype);
  let fp8: Fp8Report | undefined;
  const configJson = bundleConfigJson(ck);
  if (options.fp8) {
    const targets = ck.kind === 'dense' ? denseFp8TensorNames(ck.config) : fp8TensorNames(ck.config);
    const q = quantizeCheckpointFp8(targets, tensors, DEEPSEEK_FP8_CONFIG.weight_block_size);
    tensors = q.tensors;
    fp8 = q.report;
    configJson.quantization_config = {
      ...DEEPSEEK_FP8_CONFIG,
      weight_block_size: [...DEEPSEEK_FP8_CONFIG.weight_block_size],
    };
  }
  const floatType = [...tensors.values()].find(
    (t) => t.dtype === 'F32' || t.dtype === 'F16' || t.dtype === 'BF16',
  )?.dtype;
  configJson.torch_dtype = floatType === 'BF16' ? 'bfloat16' : floatType === 'F16' ? 'float16' : 'float32';
  await mkdir(outDir, { recursive: true });
  const files = ['config.json'];
  await writeJson(join(outDir, 'config.json'), configJson);
  const shardOpts = options.maxShardBytes !== undefined ? { maxShardBytes: options.maxShardBytes } : {};
  for (const item of await writeSafetensorsCheckpoint(outDir, tensors, shardOpts)) files.push(item);
  await writeJson(
    join(outDir, 'generation_config.json'),
    generationConfig(ck.config.bos_token_id, ck.config.eos_token_id),
  );
  files.push('generation_config.json');
  await writeTokenizerFiles(options.tokenizerDir ?? ck.dir, outDir, files, warnings, options.chatTemplate);
  return { files, ...(fp8 ? { fp8 } : {}), warnings };
}
