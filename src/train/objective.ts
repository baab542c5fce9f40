/**
 * The training objective of a DeepSeek-V3 model on one micro-batch (V3 paper 2.1.2, 2.2, 3.3):
 *   loss = CE(main head) + (lambda / D) * sum_k CE(MTP module k)
 *        + sequence-wise balance loss (alpha) + classic batch-wise aux loss (optional).
 * Everything but the classic aux loss is DeepseekV3.loss, the function check-reference verifies
 * against DeepSeek's code and bench train times; this file adds the aux loss (the balance ablation's
 * baseline) and the FP8 mode. Targets are the next tokens where the loss mask is 1 (SFT trains on
 * assistant tokens only; the MTP loss is then skipped). In FP8 mode every block Linear runs through
 * fp8Linear (the model's `linear` option); the wrapper counts its calls so a model that ignored the
 * option is an error, never a silent FP32 run.
 */
import type { LayerLoads } from '../models/deepseek-v3/balance.js';
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { DeepseekV3, type ModelOptions } from '../models/deepseek-v3/model.js';
import { fp8Linear } from '../nn/fp8.js';
import type { Engine, Tensor } from '../tensor/index.js';
import { add } from '../tensor/index.js';
import { auxBalanceLoss } from './balance.js';

/** One micro-batch: tokens [B*T] row-major and an optional loss mask over the same positions. */
export interface TokenBatch {
  batchSize: number;
  seqLen: number;
  tokens: Int32Array;
  /** 1 where the token is a training target (predicted from the one before); absent: all. */
  mask?: Int32Array;
}

/** Losses of one micro-batch: `loss` is back-propagated, the rest are logged. */
export interface BatchLosses {
  loss: Tensor;
  lm: Tensor;
  mtp: Tensor | null;
  balance: Tensor | null;
  aux: Tensor | null;
  /** Tokens routed to each expert, per MoE layer (main model and MTP blocks). */
  loads: LayerLoads;
  /** Number of predicted (unmasked) targets. */
  targets: number;
  /** Main-head logits (B, T, V) and next-token targets [B * (T-1)] (-100 = not a target), for accuracy. */
  logits: Tensor;
  targetIds: Int32Array;
}

export interface ObjectiveOptions {
  seqAuxAlpha: number;
  auxLossAlpha: number;
  mtpLambda: number;
  precision: 'fp32' | 'fp8';
  /** Training attention path (ModelOptions.attention; default 'fused'). */
  attention?: 'fused' | 'matmul';
}

/** A model plus its loss; built once per run. */
export class Objective {
  readonly model: DeepseekV3;
  private fp8Calls = 0;

  constructor(
    readonly engine: Engine,
    readonly config: DeepseekV3Config,
    readonly params: ReadonlyMap<string, Tensor>,
    readonly opts: ObjectiveOptions,
  ) {
    const modelOpts: ModelOptions = {
      seqAuxAlpha: opts.seqAuxAlpha,
      mtpLambda: opts.mtpLambda,
      maxLen: config.max_position_embeddings,
      ...(opts.attention ? { attention: opts.attention } : {}),
      ...(opts.precision === 'fp8'
        ? {
            linear: (x: Tensor, w: Tensor) => {
              this.fp8Calls++;
              return fp8Linear(x, w);
            },
          }
        : {}),
    };
    this.model = new DeepseekV3(engine, config, params, modelOpts);
  }

  /** Losses of a micro-batch (records the graph when grad mode is on). */
  losses(batch: TokenBatch): BatchLosses {
    const { batchSize: B, seqLen: T } = batch;
    const calls = this.fp8Calls;
    const out = this.model.loss(this.engine.tensor(batch.tokens, [B, T], 'i32'), batch.mask);
    if (this.opts.precision === 'fp8' && this.fp8Calls === calls)
      throw new Error('precision fp8: no block Linear of the model ran through the FP8 GEMM (ModelOptions.linear)');
    let aux: Tensor | null = null;
    if (this.opts.auxLossAlpha > 0)
      for (const m of [...out.moe, ...out.mtpMoe]) {
        if (!m) continue;
        const a = auxBalanceLoss(m.scores, m.experts, this.config.num_experts_per_tok, this.opts.auxLossAlpha);
        aux = aux ? add(aux, a) : a;
      }
    return {
      loss: aux ? add(out.loss, aux) : out.loss,
      lm: out.lmLoss,
      mtp: out.mtpLoss,
      balance: out.balanceLoss,
      aux,
      loads: out.loads,
      targets: out.targets,
      logits: out.logits,
      targetIds: out.targetIds,
    };
  }

  /** Frees the model's own tables (parameters belong to the caller). */
  dispose(): void {
    this.model.dispose();
  }
}
