/**
 * A toy world for GRPO tests: a two-layer DeepSeek-V3 (one dense, one MoE layer) small enough to
 * train in seconds, a character tokenizer over "abcdefgh" plus an EOS, and a problem source whose
 * prompts are a single letter. The toy reward pays the share of 'a' in the response: trivially
 * learnable, graded (so groups have spread from the first step).
 */
import { parseDeepseekV3Config, type DeepseekV3Config } from '../../src/models/deepseek-v3/config.js';
import type { WeightedReward } from '../../src/rewards/combine.js';
import type { ProblemSource } from '../../src/rl/trainer.js';
import type { PromptTemplate } from '../../src/rl/prompts.js';
import { Rng } from '../../src/tasks/rng.js';
import type { Problem } from '../../src/tasks/types.js';

export const LETTERS = 'abcdefgh';
export const EOS_ID = LETTERS.length;

export function toyConfig(): DeepseekV3Config {
  return parseDeepseekV3Config(
    {
      architectures: ['DeepseekV3ForCausalLM'],
      model_type: 'deepseek_v3',
      vocab_size: LETTERS.length + 1,
      hidden_size: 32,
      intermediate_size: 64,
      moe_intermediate_size: 16,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 2,
      n_shared_experts: 1,
      n_routed_experts: 4,
      num_experts_per_tok: 2,
      n_group: 1,
      topk_group: 1,
      routed_scaling_factor: 1,
      scoring_func: 'sigmoid',
      topk_method: 'noaux_tc',
      norm_topk_prob: true,
      first_k_dense_replace: 1,
      moe_layer_freq: 1,
      q_lora_rank: 16,
      kv_lora_rank: 16,
      qk_nope_head_dim: 8,
      qk_rope_head_dim: 8,
      v_head_dim: 8,
      hidden_act: 'silu',
      max_position_embeddings: 32,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      rope_scaling: null,
      tie_word_embeddings: false,
      attention_bias: false,
      num_nextn_predict_layers: 0,
      bos_token_id: EOS_ID,
      eos_token_id: EOS_ID,
      initializer_range: 0.2,
    },
    'toy config',
  ).config;
}

/** Characters in, characters out; EOS is its own id. */
export const toyTokenizer = {
  eosId: EOS_ID as number | undefined,
  vocabSize: EOS_ID + 1,
  addedTokens: [],
  encode(text: string): number[] {
    return [...text].map((ch) => {
      const i = LETTERS.indexOf(ch);
      if (i < 0) throw new Error(`toy tokenizer: ${JSON.stringify(ch)} is not one of ${LETTERS}`);
      return i;
    });
  },
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => (i === EOS_ID ? '' : LETTERS[i]!)).join('');
  },
};

export const toyTemplate: PromptTemplate = {
  render: (p) => p.prompt,
  segments: (_tok, p) => [{ text: p.prompt, plain: true }],
  encode: (tok, p) => tok.encode(p.prompt),
  responsePrefix: '',
};

/** Single-letter prompts (never 'a'), seeded. */
export class ToyProblems implements ProblemSource {
  private rng: Rng;
  constructor(seed: number, state?: number) {
    this.rng = state === undefined ? new Rng(seed) : Rng.fromState(state);
  }
  get state(): number {
    return this.rng.state;
  }
  next(): Problem {
    const ch = LETTERS[this.rng.int(1, LETTERS.length - 1)]!;
    return { task: 'toy', key: `toy:${ch}`, lang: 'en', difficulty: 1, prompt: ch, answer: 'a', data: {} };
  }
}

/** Share of 'a' in the response (0 when empty). */
export const aShare: WeightedReward = {
  name: 'a_share',
  weight: 1,
  fn: ({ response }) => (response.length === 0 ? 0 : [...response].filter((c) => c === 'a').length / response.length),
};
