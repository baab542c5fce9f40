/**
 * The GRPO loop (DeepSeekMath 4.1; R1 paper 2.2): per step, a batch of prompts from the task mix;
 * num_generations completions of each from the current policy (on the generation engine, each
 * prompt prefilled once and forked, src/rl/rollout.ts); rule-based rewards; group-relative
 * advantages; then num_iterations AdamW updates of the clipped-surrogate + beta * KL objective over
 * the batch (micro-batches as long as their longest sequence, gradients accumulated), with pi_old
 * and pi_ref log-probs stored before the first update. Optional reference refresh (TRL sync_ref_model). Metrics each logging step
 * (rewards per function, accuracy, lengths, zero-spread groups, KL, clip fractions, entropy,
 * reflection-phrase rate, rollout and update tokens/s, seconds per phase: rollout_sec, old_logp_sec,
 * ref_logp_sec, update_sec) go to JSONL and to `onEvent`; sample
 * completions to completions.jsonl; checkpoints through the caller's `save`.
 */
import type { AdamW } from '../nn/adamw.js';
import { clipGradNorm } from '../nn/clip.js';
import { accuracyReward } from '../rewards/accuracy.js';
import { scoreResponses, type WeightedReward } from '../rewards/combine.js';
import type { RewardInput } from '../rewards/types.js';
import { CHAT_TASK } from '../tasks/chat.js';
import type { Problem } from '../tasks/types.js';
import { detach, type Engine, type Rng, type Tensor } from '../tensor/index.js';
import type { TrainerState } from '../train/checkpoint.js';
import type { MetricsLog, MetricsRecord } from '../train/metrics.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { advantageFunction, zeroSpreadShare, type ScaleRewards } from './advantages.js';
import { aggregator, type LossType } from './aggregate.js';
import type { BatchTotals } from './aggregate.js';
import { packBatch, type PackedBatch, type Sample } from './batch.js';
import type { GrpoConfig } from './config.js';
import { tokenEntropies, tokenLogProbs } from './logprobs.js';
import { clipFractions, grpoTokenLoss } from './objective.js';
import { mixParams, type Policy } from './policy.js';
import type { PromptTemplate } from './prompts.js';
import { reflectionCount } from './reflection.js';
import { tierAndBehaviourMetrics } from './rollout-metrics.js';
import { storedLogProbs } from './stored-logprobs.js';

/** A source of training problems with a resumable state. */
export interface ProblemSource {
  next(): Problem;
  readonly state: number;
}

export type GrpoEvent =
  | {
      type: 'step';
      step: number;
      maxSteps: number;
      reward: number;
      accuracy: number;
      etaSec: number;
      record: MetricsRecord;
    }
  | { type: 'skip'; step: number; reason: string }
  | { type: 'completions'; step: number; samples: CompletionSample[] }
  | { type: 'save'; step: number; path: string };

export interface CompletionSample {
  step: number;
  task: string;
  prompt: string;
  response: string;
  reward: number;
  terms: Record<string, number>;
}

export interface GrpoDeps {
  engine: Engine;
  policy: Policy;
  params: ReadonlyMap<string, Tensor>;
  /** Frozen reference (required when beta > 0). */
  reference?: { policy: Policy; params: ReadonlyMap<string, Tensor> };
  optimizer: AdamW;
  tokenizer: Pick<Tokenizer, 'encode' | 'decode' | 'eosId' | 'addedTokens' | 'vocabSize'>;
  template: PromptTemplate;
  problems: ProblemSource;
  rewards: readonly WeightedReward[];
  config: GrpoConfig;
  rng: Rng;
  metrics: MetricsLog;
  completions?: MetricsLog;
  save: (state: TrainerState) => Promise<string>;
  onEvent?: (e: GrpoEvent) => void;
}

/** One micro-batch's loss and the tensors its statistics read. */
interface MicroBatchLoss {
  /** This micro-batch's share of the batch loss (a scalar with gradient). */
  loss: Tensor;
  /** (B, T, V) */
  logits: Tensor;
  /** log pi of each target, (B, T). */
  logp: Tensor;
}

/** What one step's update did: loss, gradient norm, statistics and times. */
export interface UpdateStats {
  /** Mean over iterations of the batch loss. */
  loss: number;
  /** k3 KL(pi || pi_ref) of each completion token (every iteration). */
  kl: number[];
  /** Entropy of each completion token (every iteration). */
  entropy: number[];
  /** Clip fractions summed over micro-batches (divide by microBatches). */
  clipLow: number;
  clipHigh: number;
  clipRegion: number;
  microBatches: number;
  /** Sequence positions the update's forward passes ran (padding left out). */
  tokens: number;
  /** Gradient norm before clipping, of the last iteration. */
  gradNorm: number;
  /** False when a loss or gradient was not finite (the step is skipped). */
  finite: boolean;
  /** Seconds spent on pi_old and pi_ref log-probs (before the updates) and on the updates. */
  oldLogpSec: number;
  refLogpSec: number;
  sec: number;
}

const avg = (xs: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return xs.length ? s / xs.length : NaN;
};
const std = (xs: ArrayLike<number>): number => {
  const m = avg(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i]! - m) ** 2;
  return xs.length > 1 ? Math.sqrt(s / (xs.length - 1)) : 0;
};

export class GrpoTrainer {
  state: TrainerState;
  private readonly advantages;
  private readonly aggregate;

  constructor(
    private readonly d: GrpoDeps,
    state: TrainerState,
  ) {
    this.state = { ...state };
    this.advantages = advantageFunction(d.config.scale_rewards as ScaleRewards);
    this.aggregate = aggregator(d.config.loss_type as LossType);
    if (d.config.beta > 0 && !d.reference)
      throw new Error(`beta is ${d.config.beta}: a reference policy is required (or set beta to 0)`);
  }

  /** Learning rate at a 0-based step: linear warmup, then constant. */
  private lr(step: number): number {
    const c = this.d.config;
    return step < c.warmup_steps ? (c.learning_rate * (step + 1)) / c.warmup_steps : c.learning_rate;
  }

  /** Samples the batch and scores it: samples with advantages, plus what the metrics need. */
  private async rollout() {
    const { config: c, tokenizer: tok, template, problems, policy, rng } = this.d;
    const G = c.num_generations,
      P = c.generation_batch_size / G;
    const stop = tok.eosId === undefined ? [] : [tok.eosId];
    const settings = {
      temperature: c.temperature,
      topP: c.top_p,
      topK: c.top_k,
      maxNewTokens: c.max_completion_length,
      stopTokens: stop,
      vocabLimit: tok.vocabSize,
    };
    const samples: Sample[] = [],
      inputs: RewardInput[] = [],
      finished: boolean[] = [];
    const t0 = performance.now();
    let tokens = 0;
    const batch = Array.from({ length: P }, () => problems.next());
    const prompts = batch.map((problem) => {
      const ids = template.encode(tok, problem);
      if (ids.length > c.max_prompt_length)
        throw new Error(
          `a ${problem.task} prompt has ${ids.length} tokens; max_prompt_length is ${c.max_prompt_length}`,
        );
      return ids;
    });
    (await policy.sampleGroups(prompts, G, settings, rng)).forEach((g, k) => {
      g.completions.forEach((ids, i) => {
        tokens += ids.length;
        const text = tok.decode(g.finished[i] ? ids.slice(0, -1) : ids);
        inputs.push({
          problem: batch[k]!,
          response: template.responsePrefix + text,
          completionTokens: ids.length,
          maxCompletionTokens: c.max_completion_length,
        });
        finished.push(g.finished[i]!);
        samples.push({
          prompt: prompts[k]!,
          completion: ids,
          advantage: 0,
          inLoss: g.finished[i]! || !c.mask_truncated_completions,
        });
      });
    });
    const rolloutSec = (performance.now() - t0) / 1000;
    const scores = scoreResponses(this.d.rewards, inputs);
    const adv = this.advantages(scores.total, G);
    samples.forEach((s, i) => {
      s.advantage = adv[i]!;
    });
    return { samples, inputs, finished, scores, rolloutTokens: tokens, rolloutSec };
  }

  /**
   * The GRPO loss of one micro-batch (DeepSeekMath 4.1.1, R1 paper eq. 1-3): the clipped surrogate
   * of ratio = pi / pi_old times the group-relative advantage, plus beta * KL(pi || pi_ref),
   * aggregated by loss_type over the whole batch's totals (so micro-batch gradients add up).
   */
  private microBatchLoss(p: PackedBatch, totals: BatchTotals): MicroBatchLoss {
    const { engine: e, policy, config: c } = this.d;
    const logits = policy.logits(e.tensor(p.inputs, [p.B, p.T], 'i32')); // (B, T, V)
    const logp = tokenLogProbs(logits, e.tensor(p.targets, [p.B, p.T], 'i32'), c.temperature); // (B, T)
    // pi_old is pi itself when each batch is used once (num_iterations 1): the ratio is 1, the gradient is not.
    const oldLogp = p.oldLogp ? e.tensor(p.oldLogp, [p.B, p.T]) : detach(logp);
    const refLogp = p.refLogp ? e.tensor(p.refLogp, [p.B, p.T]) : undefined;
    const advantage = e.tensor(p.advantages, [p.B, 1]);
    const perToken = grpoTokenLoss({
      logp,
      oldLogp,
      ...(refLogp ? { refLogp } : {}),
      advantages: advantage,
      epsilon: c.epsilon,
      epsilonHigh: c.epsilon_high ?? c.epsilon,
      beta: c.beta,
    }); // (B, T)
    const loss = this.aggregate(perToken, e.tensor(p.mask, [p.B, p.T]), totals);
    return { loss, logits, logp };
  }

  /** Clip fractions, entropies and KL of one micro-batch (no gradient), added to `st`. */
  private microBatchStats(p: PackedBatch, m: MicroBatchLoss, st: UpdateStats): void {
    const c = this.d.config;
    const logp = this.d.engine.read(m.logp),
      entropy = tokenEntropies(m.logits, c.temperature);
    const ratio = p.oldLogp ? logp.map((x, k) => Math.exp(x - p.oldLogp![k]!)) : new Float32Array(logp.length).fill(1);
    const clip = clipFractions(ratio, p.advantages, p.mask, p.T, c.epsilon, c.epsilon_high ?? c.epsilon);
    st.clipLow += clip.low;
    st.clipHigh += clip.high;
    st.clipRegion += clip.region;
    st.microBatches++;
    for (let k = 0; k < logp.length; k++) {
      if (!p.mask[k]) continue;
      st.entropy.push(entropy[k]!);
      if (p.refLogp) {
        const d = p.refLogp[k]! - logp[k]!; // log(pi_ref / pi)
        st.kl.push(Math.exp(d) - d - 1);
      }
    }
  }

  /** pi_old (num_iterations > 1) and pi_ref (beta > 0) log-probs, stored on the samples; their seconds. */
  private storeLogProbs(samples: Sample[]): { oldSec: number; refSec: number } {
    const { policy, config: c } = this.d;
    const pad = this.d.tokenizer.eosId ?? 0,
      mb = c.per_device_train_batch_size;
    const t0 = performance.now();
    if (c.num_iterations > 1)
      storedLogProbs(policy, samples, mb, c.temperature, pad).forEach((v, i) => {
        samples[i]!.oldLogp = v;
      });
    const t1 = performance.now();
    if (c.beta > 0)
      storedLogProbs(this.d.reference!.policy, samples, mb, c.temperature, pad).forEach((v, i) => {
        samples[i]!.refLogp = v;
      });
    return { oldSec: (t1 - t0) / 1000, refSec: (performance.now() - t1) / 1000 };
  }

  /** num_iterations AdamW updates over the batch, in micro-batches; returns the update statistics. */
  private update(samples: Sample[], lr: number): UpdateStats {
    const { engine: e, optimizer, config: c } = this.d;
    const pad = this.d.tokenizer.eosId ?? 0,
      mb = c.per_device_train_batch_size;
    const stored = this.storeLogProbs(samples);
    const totals: BatchTotals = {
      sequences: samples.length,
      tokens: samples.reduce((s, x) => s + (x.inLoss ? x.completion.length : 0), 0),
      maxCompletionLength: c.max_completion_length,
    };
    const st: UpdateStats = {
      loss: 0,
      kl: [],
      entropy: [],
      clipLow: 0,
      clipHigh: 0,
      clipRegion: 0,
      microBatches: 0,
      tokens: 0,
      gradNorm: 0,
      finite: true,
      oldLogpSec: stored.oldSec,
      refLogpSec: stored.refSec,
      sec: 0,
    };
    const t0 = performance.now();
    for (let it = 0; it < c.num_iterations && st.finite; it++) {
      let lossSum = 0;
      for (let i = 0; i < samples.length && st.finite; i += mb) {
        const part = samples.slice(i, i + mb),
          p = packBatch(part, pad); // [rows, longest sequence - 1]
        for (const x of part) st.tokens += x.prompt.length + x.completion.length - 1;
        e.scope(() => {
          const m = this.microBatchLoss(p, totals);
          const value = m.loss.item();
          if (!Number.isFinite(value)) {
            st.finite = false;
            return;
          }
          lossSum += value;
          m.loss.backward();
          this.microBatchStats(p, m, st);
        });
      }
      if (!st.finite) break;
      st.loss += lossSum / c.num_iterations;
      st.gradNorm = clipGradNorm(this.d.params.values(), c.max_grad_norm);
      if (!Number.isFinite(st.gradNorm)) {
        st.finite = false;
        break;
      }
      optimizer.lr = lr;
      optimizer.step();
      optimizer.zeroGrad();
    }
    optimizer.zeroGrad();
    st.sec = (performance.now() - t0) / 1000;
    return st;
  }

  /** Runs from the current step to max_steps (or to `stopAt`, saving a checkpoint there). */
  async run(stopAt = Infinity): Promise<MetricsRecord | null> {
    const { config: c, metrics, onEvent } = this.d;
    const t0 = performance.now(),
      start = this.state.step,
      priorSec = this.state.elapsed_sec ?? 0; // training time of the processes before this one
    let last: MetricsRecord | null = null;
    const end = Math.min(c.max_steps, stopAt);
    while (this.state.step < end) {
      const step = this.state.step,
        lr = this.lr(step);
      const r = await this.rollout();
      const u = this.update(r.samples, lr);
      this.state.step++;
      this.state.tokens_seen += r.rolloutTokens;
      if (!u.finite) {
        this.state.skipped_steps++;
        this.state.consecutive_nonfinite++;
        onEvent?.({ type: 'skip', step: this.state.step, reason: 'non-finite loss or gradient' });
        metrics.append({ type: 'skip', step: this.state.step, reason: 'non-finite loss or gradient' });
        if (this.state.consecutive_nonfinite >= 5)
          throw new Error(
            `grpo stopped at step ${this.state.step}: 5 consecutive non-finite updates; lower learning_rate and --resume from the last checkpoint`,
          );
      } else {
        this.state.consecutive_nonfinite = 0;
        this.state.optimizer_step = this.d.optimizer.step_;
      }
      if (this.d.reference && c.sync_ref_model && this.state.step % c.ref_model_sync_steps === 0)
        mixParams(this.d.reference.params, this.d.params, c.ref_model_mixup_alpha);
      const rec = this.record(r, u, lr, priorSec + (performance.now() - t0) / 1000);
      last = rec;
      if (this.state.step % c.logging_steps === 0 || this.state.step === c.max_steps) metrics.append(rec);
      const perStep = (performance.now() - t0) / 1000 / (this.state.step - start);
      onEvent?.({
        type: 'step',
        step: this.state.step,
        maxSteps: c.max_steps,
        reward: rec.reward as number,
        accuracy: rec.accuracy as number,
        etaSec: perStep * (c.max_steps - this.state.step),
        record: rec,
      });
      if (c.log_completions_steps > 0 && (this.state.step % c.log_completions_steps === 0 || this.state.step === 1))
        this.logCompletions(r);
      if ((c.save_steps > 0 && this.state.step % c.save_steps === 0) || this.state.step === end) {
        this.state.data_state = { problems: this.d.problems.state };
        this.state.rng_state = this.d.rng.state();
        this.state.elapsed_sec = priorSec + (performance.now() - t0) / 1000;
        const path = await this.d.save({ ...this.state }); // saved with or without a listener
        onEvent?.({ type: 'save', step: this.state.step, path });
      }
    }
    return last;
  }

  private record(
    r: Awaited<ReturnType<GrpoTrainer['rollout']>>,
    u: UpdateStats,
    lr: number,
    elapsed: number,
  ): MetricsRecord {
    const c = this.d.config;
    const lengths = r.samples.map((s) => s.completion.length);
    // accuracy over the verifiable prompts only (chat prompts have no answer to check)
    const acc = r.inputs.filter((x) => x.problem.task !== CHAT_TASK).map((x) => accuracyReward(x));
    const terms: Record<string, number> = {};
    for (const [name, v] of r.scores.terms) {
      terms[`rewards/${name}/mean`] = avg(v);
      terms[`rewards/${name}/std`] = std(v);
    }
    return {
      type: 'grpo',
      step: this.state.step,
      reward: avg(r.scores.total),
      ...tierAndBehaviourMetrics(r.inputs, lengths),
      reward_std: std(r.scores.total),
      ...terms,
      accuracy: avg(acc),
      completion_length_mean: avg(lengths),
      completion_length_min: lengths.reduce((a, b) => Math.min(a, b), Infinity),
      completion_length_max: lengths.reduce((a, b) => Math.max(a, b), -Infinity),
      truncated_share: 1 - avg(r.finished.map(Number)),
      zero_spread_share: zeroSpreadShare(r.scores.total, c.num_generations),
      loss: u.loss,
      grad_norm: u.gradNorm,
      lr,
      entropy: avg(u.entropy),
      ...(u.kl.length ? { kl: avg(u.kl) } : {}),
      clip_ratio_low: u.clipLow / Math.max(1, u.microBatches),
      clip_ratio_high: u.clipHigh / Math.max(1, u.microBatches),
      clip_ratio: u.clipRegion / Math.max(1, u.microBatches),
      reflection_rate: avg(r.inputs.map((x) => reflectionCount(x.response))),
      rollout_tokens_per_sec: r.rolloutTokens / r.rolloutSec,
      update_tokens_per_sec: u.tokens / u.sec,
      elapsed_sec: elapsed,
      rollout_sec: r.rolloutSec,
      old_logp_sec: u.oldLogpSec,
      ref_logp_sec: u.refLogpSec,
      update_sec: u.sec,
      step_sec: r.rolloutSec + u.oldLogpSec + u.refLogpSec + u.sec,
      heap_reserved_mb: this.d.engine.heap.reservedBytes / 2 ** 20,
    };
  }

  private logCompletions(r: Awaited<ReturnType<GrpoTrainer['rollout']>>): void {
    const n = Math.min(this.d.config.num_completions_to_print, r.inputs.length);
    const samples: CompletionSample[] = [];
    for (let i = 0; i < n; i++) {
      const terms: Record<string, number> = {};
      for (const [name, v] of r.scores.terms) terms[name] = v[i]!;
      samples.push({
        step: this.state.step,
        task: r.inputs[i]!.problem.task,
        prompt: r.inputs[i]!.problem.prompt,
        response: r.inputs[i]!.response,
        reward: r.scores.total[i]!,
        terms,
      });
    }
    for (const s of samples) this.d.completions?.append({ type: 'completion', ...s });
    this.d.onEvent?.({ type: 'completions', step: this.state.step, samples });
  }
}
