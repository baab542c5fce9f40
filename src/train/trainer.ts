/**
 * The training loop shared by pretraining and SFT (V3 paper 4.2 hyper-parameters scaled down):
 * per optimizer step, `gradient_accumulation_steps` micro-batches are forwarded and
 * back-propagated (each loss divided by the count, so gradients average), the global gradient
 * norm is clipped, AdamW steps at the scheduled learning rate, and then every MoE layer's routing
 * bias moves by the aux-loss-free rule with the step's expert loads. A non-finite loss or gradient
 * skips the update (nothing changes but the data position) and is reported; too many in a row
 * stop the run with an error, and nothing saved is touched. Held-out evaluation every eval_steps,
 * checkpoints every save_steps and at the end; metrics go to JSONL, progress to `onEvent`.
 * Every random draw is seeded, so a run is reproducible and a resume continues exactly.
 */
import type { AdamW } from '../nn/adamw.js';
import { clipGradNorm } from '../nn/clip.js';
import { learningRate } from '../nn/schedule.js';
import { argmax, type Engine, type Rng, type Tensor } from '../tensor/index.js';
import { updateBalanceBiases, type LayerLoads } from '../models/deepseek-v3/balance.js';
import { maxVio } from './balance.js';
import type { RunConfig } from './config.js';
import type { BatchSource } from './data.js';
import type { MetricsLog, MetricsRecord } from './metrics.js';
import type { Objective, TokenBatch } from './objective.js';
import type { TrainerState } from './checkpoint.js';

/** What the loop reports (the CLI renders these; library code never prints). */
export type TrainEvent =
  | { type: 'step'; step: number; maxSteps: number; loss: number; lr: number; tokensPerSec: number; etaSec: number }
  | { type: 'log'; record: MetricsRecord }
  | { type: 'eval'; record: MetricsRecord }
  | { type: 'skip'; step: number; reason: string; consecutive: number }
  | { type: 'save'; step: number; path: string }
  | { type: 'stopped'; step: number };

export interface TrainerDeps {
  engine: Engine;
  objective: Objective;
  optimizer: AdamW;
  source: BatchSource;
  evalBatches: readonly TokenBatch[];
  rng: Rng;
  metrics: MetricsLog;
  config: RunConfig;
  /** Writes a checkpoint of the current state; returns its path. */
  save: (state: TrainerState) => Promise<string>;
  onEvent?: (e: TrainEvent) => void;
  /** Polled after every step; true saves a checkpoint and stops (the CLI sets it on Ctrl-C). */
  stopRequested?: () => boolean;
}

/** Thrown when too many consecutive steps had non-finite values. */
export class NonFiniteError extends Error {}

/** Learning rate of a 0-based step under the run config's schedule. */
export function scheduledLr(c: RunConfig, step: number): number {
  const stable =
    c.lr_scheduler_type === 'cosine' ? 0 : Math.round(c.stable_ratio * Math.max(0, c.max_steps - c.warmup_steps));
  return learningRate(step, {
    peak: c.learning_rate,
    warmupSteps: c.warmup_steps,
    totalSteps: c.max_steps,
    min: c.learning_rate * c.min_lr_ratio,
    stableSteps: stable,
  });
}

/** MaxVio of each main-model MoE layer, in layer order (MTP blocks' loads feed the bias update only). */
function mainMaxVio(loads: LayerLoads, numHiddenLayers: number): number[] {
  return [...loads]
    .filter(([layer]) => layer < numHiddenLayers)
    .sort(([a], [b]) => a - b)
    .map(([, load]) => maxVio(load));
}

/** The routing-bias tensors of the main model's MoE layers, in layer order. */
export function balanceBiases(params: ReadonlyMap<string, Tensor>, numHiddenLayers: number): Tensor[] {
  const out: Tensor[] = [];
  for (let l = 0; l < numHiddenLayers; l++) {
    const b = params.get(`model.layers.${l}.mlp.gate.e_score_correction_bias`);
    if (b) out.push(b);
  }
  return out;
}

/** Adds one micro-batch's loads into `acc` (per layer, elementwise). */
function addLayerLoads(acc: LayerLoads, loads: LayerLoads): void {
  for (const [layer, load] of loads) {
    const a = acc.get(layer) ?? new Float64Array(load.length);
    for (let i = 0; i < load.length; i++) a[i]! += load[i]!;
    acc.set(layer, a);
  }
}

/** Mean values of one step's micro-batches. */
interface StepResult {
  loss: number;
  lm: number;
  mtp: number | null;
  balance: number | null;
  aux: number | null;
  /** Expert loads of the step, summed over its micro-batches. */
  loads: LayerLoads;
  tokens: number;
  finite: boolean;
}

export class Trainer {
  state: TrainerState;

  constructor(
    private readonly d: TrainerDeps,
    state: TrainerState,
  ) {
    this.state = { ...state };
  }

  /** One optimizer step (forward/backward of the micro-batches, clip, update, bias); returns its losses. */
  private step(lr: number): { r: StepResult; gradNorm: number } {
    const { engine: e, objective, optimizer, source, config: c } = this.d;
    const accum = c.gradient_accumulation_steps;
    const r: StepResult = {
      loss: 0,
      lm: 0,
      mtp: null,
      balance: null,
      aux: null,
      loads: new Map(),
      tokens: 0,
      finite: true,
    };
    const add = (k: 'mtp' | 'balance' | 'aux', v: Tensor | null) => {
      if (v) r[k] = (r[k] ?? 0) + v.item() / accum;
    };
    for (let m = 0; m < accum; m++) {
      const batch = source.next();
      r.tokens += batch.batchSize * batch.seqLen;
      e.scope(() => {
        const out = objective.losses(batch);
        const loss = out.loss.item();
        r.loss += loss / accum;
        r.lm += out.lm.item() / accum;
        add('mtp', out.mtp);
        add('balance', out.balance);
        add('aux', out.aux);
        addLayerLoads(r.loads, out.loads);
        if (!Number.isFinite(loss)) {
          r.finite = false;
          return;
        }
        if (r.finite) out.loss.backward(e.scalar(1 / accum));
      });
    }
    const params = [...optimizer.params.values()];
    const gradNorm = r.finite ? clipGradNorm(params, c.max_grad_norm) : NaN;
    if (!r.finite || !Number.isFinite(gradNorm)) {
      r.finite = false;
      optimizer.zeroGrad();
      return { r, gradNorm };
    }
    optimizer.lr = lr;
    optimizer.step();
    optimizer.zeroGrad();
    if (c.bias_update_speed > 0) updateBalanceBiases(objective.params, objective.config, r.loads, c.bias_update_speed);
    return { r, gradNorm };
  }

  /** Held-out loss, next-token accuracy and MaxVio over the fixed eval batches. */
  evaluate(): MetricsRecord {
    const { engine: e, objective, evalBatches } = this.d;
    let lm = 0,
      mtp = 0,
      hasMtp = false,
      correct = 0,
      count = 0;
    const loads: LayerLoads = new Map();
    e.noGrad(() => {
      for (const b of evalBatches) {
        e.scope(() => {
          const out = objective.losses(b);
          lm += out.lm.item() * out.targets;
          count += out.targets;
          if (out.mtp) {
            mtp += out.mtp.item();
            hasMtp = true;
          }
          const [B, T] = out.logits.shape as [number, number, number];
          const pred = e.read(argmax(out.logits, 2)); // (B, T)
          for (let i = 0; i < B; i++)
            for (let t = 0; t < T - 1; t++) {
              const y = out.targetIds[i * (T - 1) + t]!;
              if (y !== -100 && pred[i * T + t] === y) correct++;
            }
          addLayerLoads(loads, out.loads);
        });
      }
    });
    const vio = mainMaxVio(loads, objective.config.num_hidden_layers);
    return {
      type: 'eval',
      step: this.state.step,
      val_loss: count ? lm / count : NaN,
      val_accuracy: count ? correct / count : NaN,
      ...(hasMtp ? { val_mtp_loss: mtp / evalBatches.length } : {}),
      ...(vio.length ? { val_maxvio: vio, val_maxvio_mean: mean(vio) } : {}),
    };
  }

  /** Runs from the current step to max_steps; returns the final eval record. */
  async run(): Promise<MetricsRecord> {
    const { config: c, metrics, onEvent } = this.d;
    const emit = (ev: TrainEvent) => onEvent?.(ev);
    const t0 = performance.now(),
      startStep = this.state.step,
      priorSec = this.state.elapsed_sec ?? 0; // training time of the processes before this one
    let windowTokens = 0,
      windowStart = t0,
      windowLoss: number[] = [];
    let last: StepResult | null = null,
      lastNorm = 0,
      lastEval: MetricsRecord | null = null;
    while (this.state.step < c.max_steps) {
      const step = this.state.step,
        lr = scheduledLr(c, step);
      const { r, gradNorm } = this.step(lr);
      this.state.step++;
      this.state.tokens_seen += r.tokens;
      windowTokens += r.tokens;
      if (!r.finite) {
        this.state.consecutive_nonfinite++;
        this.state.skipped_steps++;
        const reason = Number.isFinite(r.loss) ? `gradient norm ${gradNorm}` : `loss ${r.loss}`;
        emit({ type: 'skip', step: this.state.step, reason, consecutive: this.state.consecutive_nonfinite });
        metrics.append({ type: 'skip', step: this.state.step, reason });
        if (this.state.consecutive_nonfinite >= c.max_consecutive_nonfinite) {
          throw new NonFiniteError(
            `training stopped at step ${this.state.step}: ${this.state.consecutive_nonfinite} consecutive ` +
              `steps had a non-finite ${reason.split(' ')[0]} (max_consecutive_nonfinite = ` +
              `${c.max_consecutive_nonfinite}); saved checkpoints are untouched. Lower learning_rate ` +
              `or check the data, then --resume from the last checkpoint.`,
          );
        }
      } else {
        this.state.consecutive_nonfinite = 0;
        this.state.optimizer_step = this.d.optimizer.step_;
        last = r;
        lastNorm = gradNorm;
        windowLoss.push(r.loss);
      }
      const now = performance.now();
      const perStep = (now - t0) / (this.state.step - startStep);
      emit({
        type: 'step',
        step: this.state.step,
        maxSteps: c.max_steps,
        loss: r.loss,
        lr,
        tokensPerSec: windowTokens / ((now - windowStart) / 1000),
        etaSec: (perStep * (c.max_steps - this.state.step)) / 1000,
      });
      if (last && (this.state.step % c.logging_steps === 0 || this.state.step === c.max_steps)) {
        const vio = mainMaxVio(last.loads, this.d.objective.config.num_hidden_layers);
        const rec: MetricsRecord = {
          type: 'train',
          step: this.state.step,
          loss: mean(windowLoss),
          lm_loss: last.lm,
          lr,
          grad_norm: lastNorm,
          tokens: this.state.tokens_seen,
          tokens_per_sec: windowTokens / ((now - windowStart) / 1000),
          elapsed_sec: priorSec + (now - t0) / 1000,
          ...(last.mtp !== null ? { mtp_loss: last.mtp } : {}),
          ...(last.balance !== null ? { balance_loss: last.balance } : {}),
          ...(last.aux !== null ? { aux_loss: last.aux } : {}),
          ...(vio.length ? { maxvio: vio, maxvio_mean: mean(vio) } : {}),
        };
        metrics.append(rec);
        emit({ type: 'log', record: rec });
        windowTokens = 0;
        windowStart = now;
        windowLoss = [];
      }
      const atEnd = this.state.step === c.max_steps;
      if ((c.eval_steps > 0 && this.state.step % c.eval_steps === 0) || atEnd) {
        if (this.d.evalBatches.length > 0) {
          const rec = this.evaluate();
          lastEval = rec;
          metrics.append(rec);
          emit({ type: 'eval', record: rec });
        }
      }
      // Let signal handlers run between steps (a step is synchronous), then honour a stop request.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const stopping = this.d.stopRequested?.() === true;
      // No save during a non-finite streak: pruning must not push out the good checkpoints.
      if (
        ((c.save_steps > 0 && this.state.step % c.save_steps === 0) || atEnd || stopping) &&
        this.state.consecutive_nonfinite === 0
      ) {
        this.state.data_state = this.d.source.state();
        this.state.rng_state = this.d.rng.state();
        this.state.elapsed_sec = priorSec + (performance.now() - t0) / 1000;
        emit({ type: 'save', step: this.state.step, path: await this.d.save({ ...this.state }) });
      }
      if (stopping) {
        emit({ type: 'stopped', step: this.state.step });
        break;
      }
    }
    return lastEval ?? (this.d.evalBatches.length > 0 ? this.evaluate() : { type: 'eval', step: this.state.step });
  }
}

function mean(xs: readonly number[]): number {
  return xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
}
