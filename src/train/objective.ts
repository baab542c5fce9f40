/**
 * The training objective of a DeepSeek-V3 model on one micro-batch (V3 paper 2.1.2, 2.2, 3.3):
 *   loss = CE(main head) + (lambda / D) * sum_k CE(MTP module k)
 *        + sequence-wise balance loss (alpha, in the model) + classic batch-wise aux loss (optional).
 * Targets are the next tokens, with -100 where the loss mask is 0 (SFT trains on assistant tokens
 * only). The MTP loss is computed on unmasked streams only (pretraining); SFT with a mask skips it.
 * In FP8 mode every block Linear runs through fp8Linear (the model's `linear` option); the wrapper
 * counts its calls so a model that ignored the option is an error, never a silent FP32 run.
 */
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { DeepseekV3, type ModelOptions } from '../models/deepseek-v3/model.js';
import { mtpLosses } from '../models/deepseek-v3/mtp.js';
import { fp8Linear } from '../nn/fp8.js';
import type { Engine, Tensor } from '../tensor/index.js';
import { add, crossEntropy, mul, slice } from '../tensor/index.js';
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
  /** Tokens routed to each expert, per MoE layer of the main model (in layer order). */
  loads: Int32Array[];
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
    const e = this.engine,
      { batchSize: B, seqLen: T } = batch;
    const tokens = e.tensor(batch.tokens, [B, T], 'i32');
    const tgt = new Int32Array(B * (T - 1));
    let targets = 0;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < T - 1; t++) {
        const on = !batch.mask || batch.mask[b * T + t + 1] === 1;
        tgt[b * (T - 1) + t] = on ? batch.tokens[b * T + t + 1]! : -100;
        if (on) targets++;
      }
    }
    const calls = this.fp8Calls;
    const f = this.model.forward(tokens);
    if (this.opts.precision === 'fp8' && this.fp8Calls === calls) {
      throw new Error(
        'precision fp8: the model did not call the FP8 linear (ModelOptions.linear is not supported by src/models/deepseek-v3 yet; see /work/notes/model-requests.md)',
      );
    }
    const lm = crossEntropy(slice(f.logits, 1, 0, T - 1), e.tensor(tgt, [B, T - 1], 'i32')); // (B, T-1, V) vs (B, T-1)
    let loss = lm,
      mtp: Tensor | null = null,
      balance: Tensor | null = null,
      aux: Tensor | null = null;
    const D = this.config.num_nextn_predict_layers;
    if (D > 0 && !batch.mask && this.opts.mtpLambda > 0) {
      const ls = mtpLosses(this.model, f.hidden, tokens).losses;
      if (ls.length > 0) {
        mtp = mul(
          ls.reduce((s, l) => add(s, l)),
          this.opts.mtpLambda / D,
        );
        loss = add(loss, mtp);
      }
    }
    const loads: Int32Array[] = [];
    const k = this.config.num_experts_per_tok;
    for (const m of f.moe) {
      if (!m) continue;
      loads.push(m.load);
      if (m.balanceLoss) balance = balance ? add(balance, m.balanceLoss) : m.balanceLoss;
      if (this.opts.auxLossAlpha > 0) {
        const scores = (m as { scores?: Tensor }).scores;
        if (!scores)
          throw new Error(
            'aux_loss_alpha: the model does not expose the gate scores (MoeOutput.scores; see /work/notes/model-requests.md)',
          );
        const a = auxBalanceLoss(scores, m.experts, k, this.opts.auxLossAlpha);
        aux = aux ? add(aux, a) : a;
      }
    }
    if (balance) loss = add(loss, balance);
    if (aux) loss = add(loss, aux);
    return { loss, lm, mtp, balance, aux, loads, targets, logits: f.logits, targetIds: tgt };
  }

  /** Frees the model's own tables (parameters belong to the caller). */
  dispose(): void {
    this.model.dispose();
  }
}
