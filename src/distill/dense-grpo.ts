/**
 * GRPO on a dense student from its base (R1 paper 4.1, "Distillation v.s. Reinforcement
 * Learning": the same small model trained by large-scale RL, against its distilled version). The
 * trainer, rewards and prompt stream are src/rl's; the policy is src/distill/dense-policy.ts. The
 * run stops at max_steps or when the wall-clock budget is spent, whichever comes first, and saves
 * the student as an HF Qwen2 folder. No resume inside a run (an interrupted run starts again).
 */
import { join } from 'node:path';
import type { DenseConfig } from '../models/qwen2/config.js';
import { saveDenseCheckpoint } from '../models/qwen2/checkpoint.js';
import { AdamW } from '../nn/adamw.js';
import { rewardsByName } from '../rewards/combine.js';
import { resolveGrpoConfig } from '../rl/config.js';
import { cloneParams } from '../rl/policy.js';
import { ProblemStream, TEMPLATES } from '../rl/prompts.js';
import { GrpoTrainer } from '../rl/trainer.js';
import { Rng, type Engine, type Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { MetricsLog } from '../train/metrics.js';
import { densePolicy } from './dense-policy.js';

export interface DenseGrpoOptions {
  engine: Engine;
  config: DenseConfig;
  /** The student's weights (trained in place). */
  params: ReadonlyMap<string, Tensor>;
  tokenizer: Tokenizer;
  /** GRPO config layers (src/rl/config.ts keys); `model` is informational here. */
  layers: Record<string, unknown>[];
  outputDir: string;
  timeBudgetSec: number;
  onStep?: (step: number, reward: number, accuracy: number) => void;
}

/** Runs GRPO on the student and saves it to outputDir; returns steps and seconds. */
export async function grpoDenseStudent(o: DenseGrpoOptions): Promise<{ steps: number; seconds: number }> {
  const c = resolveGrpoConfig([{ model: 'dense student', output_dir: o.outputDir }, ...o.layers], 'rl student config');
  const e = o.engine, maxLen = Math.min(o.config.max_position_embeddings, c.max_prompt_length + c.max_completion_length);
  const refParams = c.beta > 0 ? cloneParams(o.params) : undefined;
  const policy = densePolicy(e, o.config, o.params, maxLen);
  const reference = refParams ? { policy: densePolicy(e, o.config, refParams, maxLen), params: refParams } : undefined;
  const optimizer = new AdamW(o.params, { lr: c.learning_rate, beta1: c.adam_beta1, beta2: c.adam_beta2, eps: c.adam_epsilon, weightDecay: c.weight_decay, noDecay: (n) => (o.params.get(n)?.rank ?? 2) < 2 });
  const metrics = new MetricsLog(join(o.outputDir, 'metrics.jsonl')), completions = new MetricsLog(join(o.outputDir, 'completions.jsonl'));
  const trainer = new GrpoTrainer({
    engine: e, policy, params: o.params, ...(reference ? { reference } : {}), optimizer, tokenizer: o.tokenizer, template: TEMPLATES[c.template],
    problems: new ProblemStream({ tasks: c.tasks, difficulties: c.difficulties, languages: c.languages, seed: c.seed }), rewards: rewardsByName(c.reward_weights),
    config: c, rng: new Rng(c.seed), metrics, completions,
    onEvent: (ev) => { if (ev.type === 'step') o.onStep?.(ev.step, ev.reward, ev.accuracy); },
    save: async () => '',
  }, { step: 0, optimizer_step: 0, data_state: undefined, rng_state: [], tokens_seen: 0, consecutive_nonfinite: 0, skipped_steps: 0 });
  metrics.truncateAfter(0); completions.truncateAfter(0); // a restarted run starts its curves again
  const t0 = performance.now();
  try {
    while (trainer.state.step < c.max_steps && (performance.now() - t0) / 1000 < o.timeBudgetSec) await trainer.run(trainer.state.step + 1);
  } finally {
    policy.dispose();
    reference?.policy.dispose();
    optimizer.dispose();
    if (refParams) for (const p of refParams.values()) p.dispose();
  }
  await saveDenseCheckpoint(o.outputDir, o.config, o.params);
  return { steps: trainer.state.step, seconds: (performance.now() - t0) / 1000 };
}
