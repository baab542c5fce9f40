/**
 * The GRPO loop (DeepSeekMath 4.1; R1 paper 2.2): per step, a batch of prompts from the task mix;
 * num_generations completions of each from the current policy; rule-based rewards; group-relative
 * advantages; then num_iterations AdamW updates of the clipped-surrogate + beta * KL objective over
 * the batch (micro-batched, gradients accumulated), with pi_old and pi_ref log-probs stored before
 * the first update. Optional reference refresh (TRL sync_ref_model). Metrics each logging step
 * (rewards per function, accuracy, lengths, zero-spread groups, KL, clip fractions, entropy,
 * reflection-phrase rate, rollout and update tokens/s) go to JSONL and to `onEvent`; sample
 * completions to completions.jsonl; checkpoints through the caller's `save`.
 */
import type { AdamW } from '../nn/adamw.js';
import { clipGradNorm } from '../nn/clip.js';
import { accuracyReward } from '../rewards/accuracy.js';
import { scoreResponses, type WeightedReward } from '../rewards/combine.js';
import type { RewardInput } from '../rewards/types.js';
import { CHAT_TASK } from '../tasks/chat.js';
import type { Problem } from '../tasks/types.js';
import { detach, type Engine, type Rng } from '../tensor/index.js';
import type { TrainerState } from '../train/checkpoint.js';
import type { MetricsLog, MetricsRecord } from '../train/metrics.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { advantageFunction, zeroSpreadShare, type ScaleRewards } from './advantages.js';
import { aggregator, type LossType } from './aggregate.js';
import { packBatch, type Sample } from './batch.js';
import type { GrpoConfig } from './config.js';
import { tokenEntropies, tokenLogProbs } from './logprobs.js';
import { clipFractions, grpoTokenLoss } from './objective.js';
import { mixParams, type Policy } from './policy.js';
import type { PromptTemplate } from './prompts.js';
import { reflectionCount } from './reflection.js';
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
  params: ReadonlyMap<string, import('../tensor/index.js').Tensor>;
  /** Frozen reference (required when beta > 0). */
  reference?: { policy: Policy; params: ReadonlyMap<string, import('../tensor/index.js').Tensor> };
  optimizer: AdamW;
  tokenizer: Pick<Tokenizer, 'encode' | 'decode' | 'eosId'>;
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
  private rollout() {
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
    };
    const samples: Sample[] = [],
      inputs: RewardInput[] = [],
      finished: boolean[] = [];
    const t0 = performance.now();
    let tokens = 0;
    const batch = Array.from({ length: P }, () => problems.next());
    const prompts = batch.map((problem) => {
      const ids = tok.encode(template.render(problem), { allowSpecial: true });
      if (ids.length > c.max_prompt_length)
        throw new Error(
          `a ${problem.task} prompt has ${ids.length} tokens; max_prompt_length is ${c.max_prompt_length}`,
        );
      return ids;
    });
    policy.sampleGroups(prompts, G, settings, rng).forEach((g, k) => {
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

  /** num_iterations updates over the batch; returns the update statistics. */
  private update(samples: Sample[], lr: number) {
    const { engine: e, policy, optimizer, config: c } = this.d;
    const pad = this.d.tokenizer.eosId ?? 0,
      mb = c.per_device_train_batch_size;
    if (c.num_iterations > 1)
      storedLogProbs(policy, samples, mb, c.temperature, pad).forEach((v, i) => {
        samples[i]!.oldLogp = v;
      });
    if (c.beta > 0)
      storedLogProbs(this.d.reference!.policy, samples, mb, c.temperature, pad).forEach((v, i) => {
        samples[i]!.refLogp = v;
      });
    const totals = {
      sequences: samples.length,
      tokens: samples.reduce((s, x) => s + (x.inLoss ? x.completion.length : 0), 0),
      maxCompletionLength: c.max_completion_length,
    };
    const st = {
      loss: 0,
      kl: [] as number[],
      entropy: [] as number[],
      clipLow: 0,
      clipHigh: 0,
      clipRegion: 0,
      parts: 0,
      tokens: 0,
      gradNorm: 0,
      finite: true,
      sec: 0,
    };
    const t0 = performance.now();
    for (let it = 0; it < c.num_iterations && st.finite; it++) {
      let lossSum = 0;
      for (let i = 0; i < samples.length; i += mb) {
        const p = packBatch(samples.slice(i, i + mb), pad, { rows: mb, T: policy.maxContext - 1 });
        for (const x of samples.slice(i, i + mb)) st.tokens += x.prompt.length + x.completion.length - 1;
        e.scope(() => {
          const logits = policy.logits(e.tensor(p.inputs, [p.B, p.T], 'i32')); // (B, T, V)
          const logp = tokenLogProbs(logits, e.tensor(p.targets, [p.B, p.T], 'i32'), c.temperature); // (B, T)
          const oldLogp = p.oldLogp ? e.tensor(p.oldLogp, [p.B, p.T]) : detach(logp);
          const refLogp = p.refLogp ? e.tensor(p.refLogp, [p.B, p.T]) : undefined;
          const per = grpoTokenLoss({
            logp,
            oldLogp,
            ...(refLogp ? { refLogp } : {}),
            advantages: e.tensor(p.advantages, [p.B, 1]),
            epsilon: c.epsilon,
            epsilonHigh: c.epsilon_high ?? c.epsilon,
            beta: c.beta,
          });
          const loss = this.aggregate(per, e.tensor(p.mask, [p.B, p.T]), totals);
          const value = loss.item();
          if (!Number.isFinite(value)) {
            st.finite = false;
            return;
          }
          lossSum += value;
          loss.backward();
          const lp = e.read(logp),
            ent = tokenEntropies(logits, c.temperature);
          const ratio = p.oldLogp
            ? lp.map((x, k) => Math.exp(x - p.oldLogp![k]!))
            : new Float32Array(lp.length).fill(1);
          const cf = clipFractions(ratio, p.advantages, p.mask, p.T, c.epsilon, c.epsilon_high ?? c.epsilon);
          st.clipLow += cf.low;
          st.clipHigh += cf.high;
          st.clipRegion += cf.region;
          st.parts++;
          for (let k = 0; k < lp.length; k++) {
            if (!p.mask[k]) continue;
            st.entropy.push(ent[k]!);
            if (p.refLogp) {
              const dd = p.refLogp[k]! - lp[k]!;
              st.kl.push(Math.exp(dd) - dd - 1);
            }
          }
        });
        if (!st.finite) break;
      }
      st.loss += lossSum / c.num_iterations;
      if (!st.finite) break;
      const norm = clipGradNorm(this.d.params.values(), c.max_grad_norm);
      st.gradNorm = norm;
      if (!Number.isFinite(norm)) {
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
      start = this.state.step;
    let last: MetricsRecord | null = null;
    const end = Math.min(c.max_steps, stopAt);
    while (this.state.step < end) {
      const step = this.state.step,
        lr = this.lr(step);
      const r = this.rollout();
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
      const rec = this.record(r, u, lr, (performance.now() - t0) / 1000);
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
        onEvent?.({ type: 'save', step: this.state.step, path: await this.d.save({ ...this.state }) });
      }
    }
    return last;
  }

  private record(
    r: ReturnType<GrpoTrainer['rollout']>,
    u: ReturnType<GrpoTrainer['update']>,
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
      clip_ratio_low: u.clipLow / Math.max(1, u.parts),
      clip_ratio_high: u.clipHigh / Math.max(1, u.parts),
      clip_ratio: u.clipRegion / Math.max(1, u.parts),
      reflection_rate: avg(r.inputs.map((x) => reflectionCount(x.response))),
      rollout_tokens_per_sec: r.rolloutTokens / r.rolloutSec,
      update_tokens_per_sec: u.tokens / u.sec,
      elapsed_sec: elapsed,
      step_sec: r.rolloutSec + u.sec,
      heap_reserved_mb: this.d.engine.heap.reservedBytes / 2 ** 20,
    };
  }

  private logCompletions(r: ReturnType<GrpoTrainer['rollout']>): void {
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
