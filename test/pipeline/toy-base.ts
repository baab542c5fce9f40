/**
 * A toy R1-Zero base for pipeline tests, made with the real stage runners: a `data` stage (two tasks,
 * level 1, a 300-id tokenizer) and a micro DeepSeek-V3 pretrained for 2 steps, under `root`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePipelineConfig } from '../../src/pipeline/config.js';
import { runPipeline } from '../../src/pipeline/runner.js';
import { STAGE_RUNNERS } from '../../src/pipeline/stages.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { MICRO } from '../train/fixtures.js';

/** The toy base: data (two tasks, level 1, a 300-id tokenizer) and a micro V3 pretrained for 2 steps. */
export async function toyBase(root: string): Promise<{ base: string; dataset: string }> {
  const dataConfig = join(root, 'data.json'),
    model = join(root, 'micro.json');
  writeFileSync(
    dataConfig,
    JSON.stringify({
      seed: 3,
      languages: ['en'],
      tasks: {
        arithmetic: { train: 30, test: 3, difficulties: [1] },
        countdown: { train: 30, test: 3, difficulties: [1] },
      },
      sft_fraction: 0,
      tokenizer: { train: { vocab_size: 300, digits: 'single' } },
      shard_tokens: 4096,
    }),
  );
  const recipe = (stages: Record<string, unknown>[]) =>
    parsePipelineConfig({
      output_dir: join(root, 'base'),
      dataset_dir: '@data',
      base: stages.length > 1 ? '@pretrain' : 'none yet',
      threads: 1,
      stages,
    });
  const data = { name: 'data', kind: 'data', config: dataConfig };
  await runPipeline(recipe([data]), STAGE_RUNNERS);
  const tok = loadTokenizer(join(root, 'base', 'data', 'tokenizer'));
  writeFileSync(
    model,
    JSON.stringify({
      ...MICRO,
      vocab_size: tok.vocabSize,
      bos_token_id: tok.bosId ?? null,
      eos_token_id: tok.eosId ?? null,
      max_position_embeddings: 1024,
      num_nextn_predict_layers: 0,
    }),
  );
  const pretrain = {
    name: 'pretrain',
    kind: 'pretrain',
    args: { model, max_steps: 2, per_device_train_batch_size: 2, max_seq_length: 64, eval_steps: 0, eval_batches: 1 },
  };
  const [, pre] = await runPipeline(recipe([data, pretrain]), STAGE_RUNNERS);
  return { base: pre!.outputs!.checkpoint!, dataset: join(root, 'base', 'data') };
}

/** GRPO keys that make a toy run: 2 samples of 6 tokens for 2 prompts, 2 steps. */
export const TOY_GRPO_ARGS = {
  num_generations: 2,
  generation_batch_size: 4,
  per_device_train_batch_size: 4,
  max_completion_length: 6,
  max_prompt_length: 600,
  max_steps: 2,
} as const;
