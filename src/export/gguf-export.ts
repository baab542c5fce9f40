/**
 * Writing a loaded checkpoint as a GGUF file llama.cpp runs: DeepSeek-V3 as architecture
 * `deepseek2` (gguf-deepseek2.ts), dense Qwen2/Llama students as `qwen2` (gguf-qwen2.ts), with
 * the tokenizer metadata of its tokenizer.json (gguf-tokenizer.ts). Refuses configs llama.cpp
 * would misread, naming the reason.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { GgmlType } from '../io/gguf-format.js';
import { writeGguf } from '../io/gguf.js';
import type { AnyCheckpoint } from './checkpoint.js';
import { deepseek2Metadata, deepseek2Problems, deepseek2Tensors } from './gguf-deepseek2.js';
import { qwen2Metadata, qwen2Problems, qwen2Tensors } from './gguf-qwen2.js';
import { ggufTokenizerMetadata } from './gguf-tokenizer.js';

/** Options for a GGUF export. */
export interface GgufExportOptions {
  /** Type of the large matrices: F32 (exact), F16, BF16 or Q8_0. Default F16. */
  readonly type?: GgmlType;
  /** Folder holding tokenizer.json (and tokenizer_config.json); default the checkpoint's. */
  readonly tokenizerDir?: string;
  /** `general.name`; default the checkpoint folder's name. */
  readonly name?: string;
}

/** What was written. */
export interface GgufExportResult {
  readonly path: string;
  readonly tensors: number;
  readonly bytes: number;
  readonly warnings: string[];
}

async function readJsonIfExists(path: string): Promise<unknown> {
  const ok = await stat(path).then(
    () => true,
    () => false,
  );
  return ok ? JSON.parse(await readFile(path, 'utf8')) : undefined;
}

/** Exports `ck` to the GGUF file `outPath`, atomically. */
export async function exportGguf(
  ck: AnyCheckpoint,
  outPath: string,
  options: GgufExportOptions = {},
): Promise<GgufExportResult> {
  const type = options.type ?? 'F16';
  const arch = ck.kind === 'dense' ? 'qwen2' : 'deepseek2';
  const problems = ck.kind === 'dense' ? qwen2Problems(ck.config) : deepseek2Problems(ck.config);
  if (problems.length > 0)
    throw new Error(`${ck.dir}: llama.cpp cannot run this config as ${arch}: ${problems.join('; ')}`);
  const tokDir = options.tokenizerDir ?? ck.dir;
  const tokenizerJson = await readJsonIfExists(join(tokDir, 'tokenizer.json'));
  if (tokenizerJson === undefined) {
    throw new Error(
      `${tokDir}: no tokenizer.json; llama.cpp needs the vocabulary in the GGUF, so pass --tokenizer <folder with tokenizer.json>`,
    );
  }
  const tokenizerConfig = await readJsonIfExists(join(tokDir, 'tokenizer_config.json'));
  const warnings: string[] = [];
  const name = options.name ?? basename(ck.dir);
  if (ck.kind === 'deepseek_v3' && ck.config.num_nextn_predict_layers > 0)
    warnings.push(
      `${ck.config.num_nextn_predict_layers} MTP module(s) not exported (llama.cpp's deepseek2 converter skips them too)`,
    );
  const metadata =
    ck.kind === 'dense' ? qwen2Metadata(ck.config, type, name) : deepseek2Metadata(ck.config, type, name);
  for (const [k, v] of ggufTokenizerMetadata(tokenizerJson, tokenizerConfig, ck.config.vocab_size, {
    bos: ck.config.bos_token_id,
    eos: ck.config.eos_token_id,
  }))
    metadata.set(k, v);
  const tensors =
    ck.kind === 'dense' ? qwen2Tensors(ck.config, ck.tensors, type) : deepseek2Tensors(ck.config, ck.tensors, type);
  await writeGguf(outPath, metadata, tensors);
  const bytes = (await stat(outPath)).size;
  return { path: outPath, tensors: tensors.length, bytes, warnings };
}
