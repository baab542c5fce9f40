/**
 * The DeepSeek-V3 causal language model (`Transformer` of DeepSeek's inference/model.py; HF
 * `DeepseekV3ForCausalLM`): embed_tokens, num_hidden_layers blocks, final norm, lm_head; plus
 * the next-token loss (with the optional MTP and balance losses, mtp.ts / moe.ts) and a KV-cache
 * decode API on the absorbed latent cache (prefill, then one token at a time, batched).
 *
 * Departures from DeepSeek's code: forward returns logits at every position (DeepSeek's returns the
 * last one only); training and the loss use the training attention path, decoding the absorbed path
 * (DeepSeek picks one globally); cached calls may append different token counts to each sequence.
 */
import type { Engine, Tensor } from '../../tensor/index.js';
import { add, crossEntropy, embedding, mul, reshape, rmsNorm, slice } from '../../tensor/index.js';
import { addLoads, type LayerLoads } from './balance.js';
import { blockForward } from './block.js';
import { LatentCache, type PackedBatch } from './cache.js';
import type { DeepseekV3Config } from './config.js';
import type { AttnContext } from './mla.js';
import type { MoeOutput } from './moe.js';
import { mtpLosses } from './mtp.js';
import { Rope, softmaxScale } from './rope.js';
import { linearP, param, plainLinear, type LinearFn, type Params } from './weights.js';

export interface ModelOptions {
  /** Longest sequence (RoPE table length); default max_position_embeddings. */
  readonly maxLen?: number;
  /** Sequence-wise balance loss weight alpha (V3: 0.0001); 0 turns it off. Default 0. */
  readonly seqAuxAlpha?: number;
  /** MTP loss weight lambda (V3: 0.3 then 0.1); used when num_nextn_predict_layers > 0. Default 0.3. */
  readonly mtpLambda?: number;
  /** Attention implementation of the training path (mla.ts AttnContext): default 'fused'. */
  readonly attention?: 'fused' | 'matmul';
  /**
   * The Linear GEMM of every block projection (MLA q/kv/o, dense MLP, experts, shared experts, MTP
   * eh_proj), e.g. an FP8 simulation (V3 paper 3.3). Embedding, lm_head, router and norms keep
   * float32. Default: plain x @ W^T.
   */
  readonly linear?: LinearFn;
}

export interface ForwardOutput {
  /** (B, T, V) */
  readonly logits: Tensor;
  /** Final hidden states before model.norm (B, T, D): the MTP modules' input h^0. */
  readonly hidden: Tensor;
  /** Per main-model layer: its MoE routing and load, null for dense layers. */
  readonly moe: (MoeOutput | null)[];
}

export interface LossOutput {
  /** lm + mtp + balance: what training back-propagates. */
  readonly loss: Tensor;
  /** Mean next-token cross-entropy of the main model over the targets. */
  readonly lmLoss: Tensor;
  /** Number of targets (unmasked next-token positions). */
  readonly targets: number;
  /** Next-token target of every position but the last, [B * (T-1)], -100 where masked out. */
  readonly targetIds: Int32Array;
  /** (lambda / D) * sum of the MTP modules' losses, or null without MTP modules (or with a mask). */
  readonly mtpLoss: Tensor | null;
  readonly mtpModuleLosses: Tensor[];
  /** Sum over MoE layers (MTP blocks included) of the sequence-wise balance loss, or null when alpha is 0. */
  readonly balanceLoss: Tensor | null;
  readonly moe: (MoeOutput | null)[];
  /** Per MTP module k (layer num_hidden_layers + k - 1): its MoE routing and load, or null. */
  readonly mtpMoe: (MoeOutput | null)[];
  /** The main model's logits (B, T, V). */
  readonly logits: Tensor;
  /** Tokens routed to each expert, per MoE layer (main model and MTP blocks), for the bias update. */
  readonly loads: LayerLoads;
}

export class DeepseekV3 {
  readonly rope: Rope;
  readonly ctx: AttnContext;

  /** `params` holds every weight by HF key (see checkpoint.ts to create or load them). */
  constructor(
    readonly engine: Engine,
    readonly config: DeepseekV3Config,
    readonly params: Params,
    readonly opts: ModelOptions = {},
  ) {
    this.rope = new Rope(engine, config, opts.maxLen ?? config.max_position_embeddings);
    this.ctx = {
      config,
      rope: this.rope,
      scale: softmaxScale(config),
      attention: opts.attention ?? 'fused',
      linear: opts.linear ?? plainLinear,
    };
  }

  /** Checks token ids (B, T) int32 against the vocabulary. */
  checkTokens(tokens: Tensor): void {
    if (tokens.dtype !== 'i32' || tokens.rank !== 2) {
      throw new Error(`tokens: expected an i32 tensor [batch, seq], got ${tokens.dtype} [${tokens.shape.join(', ')}]`);
    }
    const V = this.config.vocab_size,
      T = tokens.shape[1]!,
      ids = this.engine.read(tokens);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < V))
        throw new Error(
          `tokens: id ${id} at [${Math.floor(i / T)}, ${i % T}] is out of range; expected 0 <= id < vocab_size (${V})`,
        );
    }
  }

  /** Embeddings of tokens (B, T) -> (B, T, D). */
  embed(tokens: Tensor): Tensor {
    return embedding(param(this.params, 'model.embed_tokens.weight'), tokens);
  }

  /** lm_head(norm(h)): (B, T, D) -> (B, T, V), `normKey` the RMSNorm weight to use. */
  head(h: Tensor, normKey = 'model.norm.weight'): Tensor {
    const headKey = this.config.tie_word_embeddings ? 'model.embed_tokens' : 'lm_head';
    return linearP(rmsNorm(h, param(this.params, normKey), this.config.rms_norm_eps), this.params, headKey); // (B, T, V)
  }

  /** Full causal forward pass (training attention path) over tokens (B, T). */
  forward(tokens: Tensor): ForwardOutput {
    this.checkTokens(tokens);
    if (tokens.shape[1]! > this.rope.maxLen) {
      throw new Error(
        `tokens: ${tokens.shape[1]} positions exceed the model's maxLen ${this.rope.maxLen} (max_position_embeddings or ModelOptions.maxLen)`,
      );
    }
    let h = this.embed(tokens); // (B, T, D)
    const moe: (MoeOutput | null)[] = [];
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      const out = blockForward(h, this.params, l, this.ctx, { seqAuxAlpha: this.opts.seqAuxAlpha ?? 0 });
      h = out.h;
      moe.push(out.moe);
    }
    return { logits: this.head(h), hidden: h, moe };
  }

  /**
   * The training objective of tokens (B, T) (V3 paper 2.1.2, 2.2): mean next-token cross-entropy
   * over the targets `mask` selects (mask[b * T + t] = 1 when token t is a target, predicted from
   * token t - 1; absent: every next token), plus (lambda / D) * the MTP modules' losses (unmasked
   * batches only: SFT trains the main head) and the sequence-wise balance loss of every MoE layer,
   * MTP blocks included. This is the one loss: pretraining and SFT differentiate it (through
   * src/train/objective.ts), check-reference verifies it against DeepSeek's code, bench train times it.
   */
  loss(tokens: Tensor, mask?: ArrayLike<number>): LossOutput {
    const [B, T] = tokens.shape as [number, number];
    if (T < 2) throw new Error(`loss: sequences need at least 2 tokens, got [${B}, ${T}]`);
    if (mask && mask.length !== B * T)
      throw new Error(`loss: the mask has ${mask.length} entries; tokens [${B}, ${T}] need ${B * T}`);
    const ids = this.engine.read(tokens),
      targetIds = new Int32Array(B * (T - 1));
    let targets = 0;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T - 1; t++) {
        const on = !mask || mask[b * T + t + 1] === 1;
        targetIds[b * (T - 1) + t] = on ? ids[b * T + t + 1]! : -100;
        if (on) targets++;
      }
    const f = this.forward(tokens);
    const lmLoss = crossEntropy(slice(f.logits, 1, 0, T - 1), this.engine.tensor(targetIds, [B, T - 1], 'i32')); // (B, T-1, V) vs (B, T-1)
    let loss = lmLoss,
      balanceLoss: Tensor | null = null,
      mtpLoss: Tensor | null = null;
    for (const m of f.moe)
      if (m?.balanceLoss) balanceLoss = balanceLoss ? add(balanceLoss, m.balanceLoss) : m.balanceLoss;
    const D = this.config.num_nextn_predict_layers,
      lambda = this.opts.mtpLambda ?? 0.3;
    let mtpModuleLosses: Tensor[] = [],
      mtpMoe: (MoeOutput | null)[] = [];
    if (D > 0 && !mask && lambda > 0) {
      const m = mtpLosses(this, f.hidden, tokens, this.opts.seqAuxAlpha ?? 0);
      mtpModuleLosses = m.losses;
      mtpMoe = m.moe;
      for (const x of m.moe)
        if (x?.balanceLoss) balanceLoss = balanceLoss ? add(balanceLoss, x.balanceLoss) : x.balanceLoss;
      if (mtpModuleLosses.length > 0) {
        const total = mtpModuleLosses.reduce((s, l) => add(s, l));
        mtpLoss = mul(total, lambda / D);
        loss = add(loss, mtpLoss);
      }
    }
    if (balanceLoss) loss = add(loss, balanceLoss);
    const loads = addLoads(addLoads(new Map(), f.moe), mtpMoe, this.config.num_hidden_layers);
    return {
      loss,
      lmLoss,
      targets,
      targetIds,
      mtpLoss,
      mtpModuleLosses,
      balanceLoss,
      moe: f.moe,
      mtpMoe,
      logits: f.logits,
      loads,
    };
  }

  /** A latent cache for `slots` sequences of up to `maxLen` tokens each (main-model layers). */
  createCache(slots: number, maxLen = this.rope.maxLen): LatentCache {
    if (maxLen > this.rope.maxLen)
      throw new Error(`createCache: maxLen ${maxLen} exceeds the model's ${this.rope.maxLen} positions`);
    return new LatentCache(
      this.engine,
      this.config.num_hidden_layers,
      slots,
      maxLen,
      this.config.kv_lora_rank + this.config.qk_rope_head_dim,
    );
  }

  /**
   * Appends tokens (B, Tn) to cache slots 0..B-1 (holding equal lengths) through the absorbed
   * path: a prefill when Tn > 1, a decode step when Tn = 1. Returns logits (B, Tn, V) and the
   * pre-norm hidden states (B, Tn, D) (MTP drafting's input). Use inside engine.noGrad.
   */
  step(cache: LatentCache, tokens: Tensor): { logits: Tensor; hidden: Tensor } {
    const [B, Tn] = tokens.shape as [number, number];
    const batch = cache.pack(
      Array.from({ length: B }, (_, i) => i),
      new Array<number>(B).fill(Tn),
    );
    if (!batch.uniform)
      throw new Error(
        `step: slots 0..${B - 1} hold different lengths [${cache.lengths.slice(0, B).join(', ')}]; use stepRows`,
      );
    return this.runCached(cache, batch, tokens);
  }

  /**
   * Appends each row's tokens to its own slot (rows may differ in length and position: continuous
   * batching, chunked prefill). Returns logits (1, N, V) and hidden states (1, N, D) of the N
   * tokens packed row after row, and the batch layout (row offsets). Use inside engine.noGrad.
   */
  stepRows(
    cache: LatentCache,
    rows: readonly { slot: number; tokens: readonly number[] }[],
  ): { logits: Tensor; hidden: Tensor; batch: PackedBatch } {
    const batch = cache.pack(
      rows.map((r) => r.slot),
      rows.map((r) => r.tokens.length),
    );
    const ids = this.engine.tensor(
      rows.flatMap((r) => [...r.tokens]),
      [1, batch.total],
      'i32',
    );
    return {
      ...this.runCached(cache, batch, batch.uniform ? reshape(ids, [rows.length, rows[0]!.tokens.length]) : ids),
      batch,
    };
  }

  private runCached(cache: LatentCache, batch: PackedBatch, tokens: Tensor): { logits: Tensor; hidden: Tensor } {
    this.checkTokens(tokens);
    let h = this.embed(tokens);
    for (let l = 0; l < this.config.num_hidden_layers; l++) {
      h = blockForward(h, this.params, l, this.ctx, { cache: { cache, layer: l, batch } }).h;
    }
    cache.advance(batch);
    return { logits: this.head(h), hidden: h };
  }

  /** Logits of the last position only: (B, T, V) -> (B, V). */
  static lastLogits(logits: Tensor): Tensor {
    const [B, T, V] = logits.shape as [number, number, number];
    return reshape(slice(logits, 1, T - 1, T), [B, V]);
  }

  /** Frees the RoPE tables (the parameters belong to the caller). */
  dispose(): void {
    this.rope.dispose();
  }
}
