/**
 * `deepseek-ts init-model --config <config.json> --dtype BF16 --seed 0 --out <dir>`: a random-weight
 * checkpoint folder of any supported config (Qwen2 / Llama dense models, DeepSeek-V3), streamed
 * tensor by tensor to safetensors shards (src/models/qwen2/init-checkpoint.ts), with a byte-level
 * tokenizer and R1's chat template unless --tokenizer names a folder with tokenizer.json. For
 * benchmarks at real model shapes without downloading weights.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { parseDeepseekV3Config, writeDeepseekV3Config } from '../../models/deepseek-v3/config.js';
import { parameterSpecs } from '../../models/deepseek-v3/checkpoint.js';
import { parseDenseConfig } from '../../models/qwen2/config.js';
import {
  denseInitSpecs,
  INIT_DTYPES,
  type InitDtype,
  type InitSpec,
  writeByteLevelTokenizer,
  writeRandomWeights,
} from '../../models/qwen2/init-checkpoint.js';
import { writeDenseConfig } from '../../models/qwen2/config.js';
import { loadTokenizer } from '../../tokenizer/hf-tokenizer.js';
import { intOption } from '../options.js';

interface InitFlags {
  config: string;
  dtype: string;
  seed: number;
  out: string;
  tokenizer?: string;
  maxShardMb: number;
}

export function register(program: Command): void {
  program
    .command('init-model')
    .description('write a random-weight checkpoint (HF folder: config, safetensors shards, tokenizer) of a config')
    .requiredOption('--config <config.json>', 'a Qwen2 / Llama / DeepSeek-V3 config.json')
    .requiredOption('--out <dir>', 'output folder')
    .option('--dtype <dtype>', `weight dtype: ${INIT_DTYPES.join(', ')}`, 'BF16')
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--tokenizer <dir>', 'copy tokenizer.json / tokenizer_config.json from this folder (default: byte-level)')
    .option('--max-shard-mb <n>', 'largest safetensors shard in MB', intOption('--max-shard-mb'), 2000)
    .action(async (o: InitFlags) => {
      const dtype = o.dtype.toUpperCase();
      if (!(INIT_DTYPES as readonly string[]).includes(dtype))
        throw new Error(`--dtype is '${o.dtype}'; expected one of ${INIT_DTYPES.join(', ')}`);
      let raw: Record<string, unknown>;
      try {
        raw = JSON.parse(readFileSync(o.config, 'utf8')) as Record<string, unknown>;
      } catch (err) {
        throw new Error(`--config ${o.config}: cannot read a JSON config (${(err as Error).message})`);
      }
      let specs: InitSpec[], std: number, maxLen: number, vocab: number;
      let writeConfig: () => Promise<void>;
      const torch = { BF16: 'bfloat16', F16: 'float16', F32: 'float32' }[dtype as InitDtype];
      if (raw.model_type === 'deepseek_v3') {
        const { config } = parseDeepseekV3Config(raw, o.config);
        specs = parameterSpecs(config).map((s) => ({
          name: s.name,
          shape: s.shape,
          fill: s.role === 'norm' ? 1 : /\.bias$|e_score_correction_bias$/.test(s.name) ? 0 : 'normal',
        }));
        ({ initializer_range: std, max_position_embeddings: maxLen, vocab_size: vocab } = config);
        writeConfig = () => writeDeepseekV3Config(join(o.out, 'config.json'), config);
      } else {
        const { config, warnings } = parseDenseConfig(raw, o.config);
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
        specs = denseInitSpecs(config);
        ({ initializer_range: std, max_position_embeddings: maxLen, vocab_size: vocab } = config);
        writeConfig = () => writeDenseConfig(join(o.out, 'config.json'), { ...config, torch_dtype: torch });
      }
      const files = await writeRandomWeights(o.out, specs, std, {
        dtype: dtype as InitDtype,
        seed: o.seed,
        maxShardBytes: o.maxShardMb * 1e6,
      });
      await writeConfig();
      if (o.tokenizer) {
        for (const f of ['tokenizer.json', 'tokenizer_config.json'])
          if (existsSync(join(o.tokenizer, f))) copyFileSync(join(o.tokenizer, f), join(o.out, f));
      } else writeByteLevelTokenizer(o.out, maxLen);
      const tok = loadTokenizer(o.out);
      if (tok.vocabSize > vocab)
        throw new Error(`the tokenizer has ${tok.vocabSize} ids but the config's vocab_size is ${vocab}`);
      if (tok.eosId !== undefined)
        await writeFileAtomic(
          join(o.out, 'generation_config.json'),
          new TextEncoder().encode(
            `${JSON.stringify({ eos_token_id: tok.eosId, ...(tok.bosId !== undefined ? { bos_token_id: tok.bosId } : {}) }, null, 2)}\n`,
          ),
        );
      const params = specs.reduce((s, t) => s + t.shape.reduce((a, b) => a * b, 1), 0);
      process.stdout.write(
        `${o.out}: ${(params / 1e9).toFixed(3)}B parameters, ${dtype}, seed ${o.seed}, ${files.length} ` +
          `shard(s), tokenizer ${o.tokenizer ?? 'byte-level'}\n`,
      );
    });
}
