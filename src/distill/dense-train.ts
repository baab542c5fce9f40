/**
 * The training loop of the dense students (src/models/qwen2): next-token cross-entropy on batches
 * from any src/train BatchSource (packed pretraining shards for a student's base, masked chat
 * records for distillation SFT: R1 paper 2.4 fine-tunes the students by SFT only), AdamW with
 * warmup + cosine decay, global-norm clipping, metrics JSONL. A wall-clock budget can end the run
 * before max_steps (the RL-versus-distillation comparison is at equal time).
 * Departs from src/train/trainer.ts: no resume inside a run (a stage that was interrupted trains
 * its student again), no MoE or MTP terms.
 */
import { z } from 'zod';
import { resolveLayers } from '../config/layers.js';
import { DenseModel } from '../models/qwen2/model.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { AdamW } from '../nn/adamw.js';
import { clipGradNorm } from '../nn/clip.js';
import { learningRate } from '../nn/schedule.js';
import { crossEntropy, type Engine, type Tensor } from '../tensor/index.js';
import type { BatchSource } from '../train/data.js';
import type { MetricsLog } from '../train/metrics.js';
import type { TokenBatch } from '../train/objective.js';

export interface DenseTrainOptions {
  max_steps: number;
  learning_rate: number;
  warmup_steps: number;
  min_lr_ratio: number;
  weight_decay: number;
  max_grad_norm: number;
  logging_steps: number;
  /** Stop after this many seconds even before max_steps (default: no limit). */
  time_budget_sec?: number;
}

/** A student run's keys (TrainingArguments names): the loop's options plus batch shape and seed. */
export const DenseArgsSchema = z.strictObject({
  max_steps: z.number().int().positive().default(200),
  learning_rate: z.number().positive().default(1e-3),
  warmup_steps: z.number().int().min(0).default(10),
  min_lr_ratio: z.number().min(0).max(1).default(0.1),
  weight_decay: z.number().min(0).default(0.01),
  max_grad_norm: z.number().positive().default(1),
  logging_steps: z.number().int().positive().default(10),
  per_device_train_batch_size: z.number().int().positive().default(4),
  max_seq_length: z.number().int().min(2).default(512),
  seed: z.number().int().default(42),
});
export type DenseArgs = z.infer<typeof DenseArgsSchema>;

/** Validates a student run's keys over the defaults. */
export function parseDenseArgs(raw: Record<string, unknown>, source: string): DenseArgs {
  return resolveLayers(DenseArgsSchema, [raw], source);
}

/** Next-token targets (B, T): token t+1 where the mask allows it, else -100; the last column is -100. */
export function denseTargets(b: TokenBatch): Int32Array {
  const { batchSize: B, seqLen: T } = b,
    out = new Int32Array(B * T).fill(-100);
  for (let r = 0; r < B; r++)
    for (let t = 0; t < T - 1; t++)
      if (!b.mask || b.mask[r * T + t + 1] === 1) out[r * T + t] = b.tokens[r * T + t + 1]!;
  return out;
}

/** Mean loss of a batch without gradient (for held-out checks). */
export function denseBatchLoss(engine: Engine, model: DenseModel, b: TokenBatch): number {
  return engine.noGrad(() =>
    engine.scope(() =>
      crossEntropy(
        model.forward(engine.tensor(b.tokens, [b.batchSize, b.seqLen], 'i32')),
        engine.tensor(denseTargets(b), [b.batchSize, b.seqLen], 'i32'),
      ).item(),
    ),
  );
}

/** Trains `params` in place; returns the steps run, the seconds and the last logged loss. */
export function trainDense(
  engine: Engine,
  config: DenseConfig,
  params: ReadonlyMap<string, Tensor>,
  source: BatchSource,
  o: DenseTrainOptions,
  metrics?: MetricsLog,
  onStep?: (step: number, loss: number) => void,
): { steps: number; seconds: number; loss: number } {
  const model = new DenseModel(engine, config, params);
  const opt = new AdamW(params, {
    lr: o.learning_rate,
    weightDecay: o.weight_decay,
    noDecay: (n) => (params.get(n)?.rank ?? 2) < 2,
  });
  const t0 = performance.now();
  let step = 0,
    loss = NaN,
    acc = 0,
    n = 0;
  try {
    while (
      step < o.max_steps &&
      (o.time_budget_sec === undefined || (performance.now() - t0) / 1000 < o.time_budget_sec)
    ) {
      const b = source.next();
      const value = engine.scope(() => {
        const l = crossEntropy(
          model.forward(engine.tensor(b.tokens, [b.batchSize, b.seqLen], 'i32')),
          engine.tensor(denseTargets(b), [b.batchSize, b.seqLen], 'i32'),
        ); // (B, T, V) vs (B, T)
        const v = l.item();
        if (Number.isFinite(v)) l.backward();
        return v;
      });
      step++;
      if (!Number.isFinite(value)) {
        opt.zeroGrad();
        continue;
      }
      const norm = clipGradNorm(params.values(), o.max_grad_norm);
      opt.lr = learningRate(step - 1, {
        peak: o.learning_rate,
        warmupSteps: o.warmup_steps,
        totalSteps: o.max_steps,
        min: o.learning_rate * o.min_lr_ratio,
      });
      if (Number.isFinite(norm)) opt.step();
      opt.zeroGrad();
      acc += value;
      n++;
      onStep?.(step, value);
      if (step % o.logging_steps === 0 || step === o.max_steps) {
        loss = acc / n;
        acc = 0;
        n = 0;
        metrics?.append({
          type: 'train',
          step,
          loss,
          lr: opt.lr,
          grad_norm: norm,
          elapsed_sec: (performance.now() - t0) / 1000,
        });
      }
    }
    if (n > 0) {
      loss = acc / n;
      metrics?.append({ type: 'train', step, loss, lr: opt.lr, elapsed_sec: (performance.now() - t0) / 1000 });
    }
    return { steps: step, seconds: (performance.now() - t0) / 1000, loss };
  } finally {
    opt.dispose();
    model.dispose();
  }
}
