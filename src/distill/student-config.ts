/**
 * The Qwen2 config of a distillation student (R1 paper 2.4 distils into dense Qwen2 / Llama models):
 * a few keys over small defaults, with the vocabulary and special ids taken from the tokenizer.
 * Unknown keys are errors, so a typo in a recipe's `students` fails when the recipe is parsed.
 */
import { parseDenseConfig, type DenseConfig } from '../models/qwen2/index.js';
import type { Tokenizer } from '../tokenizer/types.js';

/** A student's Qwen2 config: its keys over small defaults, vocabulary and special ids from the tokenizer. */
export function studentConfig(
  keys: Record<string, unknown>,
  tok: Pick<Tokenizer, 'vocabSize' | 'bosId' | 'eosId'>,
  source: string,
): DenseConfig {
  const r = parseDenseConfig(
    {
      model_type: 'qwen2',
      hidden_size: 64,
      intermediate_size: 192,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 512,
      tie_word_embeddings: true,
      rope_theta: 10000,
      rms_norm_eps: 1e-6,
      initializer_range: 0.02,
      ...keys,
      vocab_size: tok.vocabSize,
      bos_token_id: tok.bosId ?? null,
      eos_token_id: tok.eosId ?? null,
    },
    source,
  );
  const unknown = r.warnings.find((w) => w.includes('unknown keys'));
  if (unknown) throw new Error(unknown.replace('ignoring unknown keys', 'unknown keys'));
  return r.config;
}
