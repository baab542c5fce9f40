/**
 * `bench train`: DeepSeek-V3 training throughput on a config (shared/bench/bench-small.json by
 * default): tokens/s of full steps (forward, loss, backward, AdamW, aux-loss-free bias update) at
 * batch x seq tokens, and model FLOPs utilisation MFU = 6 x active params x tokens/s / peak, with
 * the peak the WASM SIMD ceiling on the same threads measured in the same run (src/bench/peak.ts;
 * native 8-lane AVX2 code can reach up to twice it, so MFU against that would be up to half).
 * The loss is the training objective itself (src/train/objective.ts, which runs DeepseekV3.loss:
 * the function pretrain and sft differentiate and check-reference verifies).
 * Weights are seeded random, tokens uniform; the first steps are warm-up and not timed. Optional
 * per-phase timings (forward, backward, optimizer) show where a step's time goes.
 */
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { updateBalanceBiases, type LayerLoads } from '../models/deepseek-v3/balance.js';
import { disposeParams, initParams } from '../models/deepseek-v3/checkpoint.js';
import { modelFigures } from '../models/deepseek-v3/params.js';
import { AdamW } from '../nn/index.js';
import { Rng, type Engine } from '../tensor/index.js';
import { Objective } from '../train/objective.js';

export interface TrainBenchOptions {
  readonly batch?: number;
  readonly seq?: number;
  readonly steps?: number;
  readonly warmup?: number;
  readonly seed?: number;
  readonly attention?: 'fused' | 'matmul';
  /** The measured peak (FLOP/s) MFU divides by; without it MFU is NaN. */
  readonly peakFlops?: number;
}

export interface TrainBenchResult {
  readonly tokens_per_s: number;
  /** 6 x active params x tokens/s / peak_flops. */
  readonly mfu: number;
  readonly peak_flops: number;
  readonly batch: number;
  readonly seq: number;
  readonly steps: number;
  readonly active_params: number;
  /** Mean milliseconds per step and per phase. */
  readonly ms_per_step: number;
  readonly ms_forward: number;
  readonly ms_backward: number;
  readonly ms_optimizer: number;
  readonly final_loss: number;
}

/** Runs `warmup + steps` training steps on `engine` and reports the timed ones. */
export function benchTrain(engine: Engine, config: DeepseekV3Config, opts: TrainBenchOptions = {}): TrainBenchResult {
  const B = opts.batch ?? 16,
    T = opts.seq ?? 128,
    steps = opts.steps ?? 5,
    warmup = opts.warmup ?? 2;
  if (T + 0 > config.max_position_embeddings)
    throw new Error(`bench train: seq ${T} exceeds max_position_embeddings ${config.max_position_embeddings}`);
  const rng = new Rng(opts.seed ?? 1);
  const params = initParams(engine, config, rng);
  const objective = new Objective(engine, config, params, {
    seqAuxAlpha: 0,
    auxLossAlpha: 0,
    mtpLambda: 0.3,
    precision: 'fp32',
    attention: opts.attention ?? 'fused',
  });
  const opt = new AdamW(params, { lr: 1e-3, weightDecay: 0.1 });
  const batch = {
    batchSize: B,
    seqLen: T,
    tokens: Int32Array.from({ length: B * T }, () => rng.int(config.vocab_size)),
  };
  let fwd = 0,
    bwd = 0,
    upd = 0,
    loss = NaN;
  const now = (): number => performance.now();
  try {
    for (let s = 0; s < warmup + steps; s++) {
      const timed = s >= warmup;
      const t0 = now();
      let t1 = 0,
        loads: LayerLoads = new Map();
      engine.scope(() => {
        const out = objective.losses(batch);
        loads = out.loads;
        loss = out.loss.item();
        t1 = now();
        out.loss.backward();
      });
      const t2 = now();
      opt.step();
      opt.zeroGrad();
      updateBalanceBiases(params, config, loads);
      const t3 = now();
      if (timed) {
        fwd += t1 - t0;
        bwd += t2 - t1;
        upd += t3 - t2;
      }
    }
  } finally {
    opt.dispose();
    objective.dispose();
    disposeParams(params);
  }
  const ms = (fwd + bwd + upd) / steps;
  const tps = (B * T) / (ms / 1000);
  const active = modelFigures(config).active_params;
  return {
    tokens_per_s: tps,
    mfu: (6 * active * tps) / (opts.peakFlops ?? NaN),
    peak_flops: opts.peakFlops ?? NaN,
    batch: B,
    seq: T,
    steps,
    active_params: active,
    ms_per_step: ms,
    ms_forward: fwd / steps,
    ms_backward: bwd / steps,
    ms_optimizer: upd / steps,
    final_loss: loss,
  };
}
