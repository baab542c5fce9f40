/**
 * Multi-token prediction (V3 paper 2.2, eq. 21-25). Module k = 1..D (HF key prefix
 * `model.layers.{num_hidden_layers + k - 1}`) takes the previous depth's hidden state h^{k-1}_i
 * and the embedding of token t_{i+k}:
 *   h'_i = eh_proj([enorm(Emb(t_{i+k})) ; hnorm(h^{k-1}_i)]),  h^k = Block_k(h'),
 *   logits = lm_head(shared_head.norm(h^k_i)) predicting t_{i+k+1}.
 * embed_tokens and lm_head are the main model's. The main model's h^0 is its last hidden state
 * before model.norm. The MTP loss is (lambda / D) * sum_k L_k (model.ts).
 *
 * Departures: the concatenation puts the normalised embedding first, as in the released V3 weights
 * and every serving stack that loads them (the paper's eq. 21 writes [h ; emb]); module k works on
 * the T - k positions whose input token exists (the paper's formulation), so each depth is one token
 * shorter. For drafting, `mtpStep` runs one module on a latent cache of its own.
 */
import type { Tensor } from '../../tensor/index.js';
import { concat, crossEntropy, rmsNorm, slice } from '../../tensor/index.js';
import { blockForward } from './block.js';
import type { LatentCache, PackedBatch } from './cache.js';
import type { DeepseekV3 } from './model.js';
import type { MoeOutput } from './moe.js';
import { linearP, param } from './weights.js';

/** The HF key prefix of MTP module k (1-based). */
export function mtpPrefix(numHiddenLayers: number, k: number): string {
  return `model.layers.${numHiddenLayers + k - 1}`;
}

function checkModule(model: DeepseekV3, k: number): void {
  const D = model.config.num_nextn_predict_layers;
  if (!(Number.isInteger(k) && k >= 1 && k <= D))
    throw new Error(`mtp: module ${k} does not exist (num_nextn_predict_layers = ${D})`);
}

/** h' of module k: eh_proj([enorm(emb) ; hnorm(h)]) for h (B, T', D) and tokens (B, T'). */
function combine(model: DeepseekV3, k: number, h: Tensor, tokens: Tensor): Tensor {
  const c = model.config,
    p = mtpPrefix(c.num_hidden_layers, k),
    eps = c.rms_norm_eps;
  const e = rmsNorm(model.embed(tokens), param(model.params, `${p}.enorm.weight`), eps); // (B, T', D)
  const hn = rmsNorm(h, param(model.params, `${p}.hnorm.weight`), eps); // (B, T', D)
  return linearP(concat([e, hn], 2), model.params, `${p}.eh_proj`, model.ctx.linear); // (B, T', 2D) -> (B, T', D)
}

/**
 * The D module losses for tokens (B, T) given the main model's pre-norm hidden states (B, T, D).
 * Module k predicts t_{i+k+1} at positions i < T - k - 1; depths with no target are left out.
 * `moe[k-1]` is module k's MoE routing and load (layer num_hidden_layers + k - 1), or null.
 */
export function mtpLosses(
  model: DeepseekV3,
  hidden: Tensor,
  tokens: Tensor,
  seqAuxAlpha = 0,
): { losses: Tensor[]; hiddens: Tensor[]; moe: (MoeOutput | null)[] } {
  const c = model.config,
    T = tokens.shape[1]!;
  const losses: Tensor[] = [],
    hiddens: Tensor[] = [],
    moe: (MoeOutput | null)[] = [];
  let h = hidden; // h^{k-1}: (B, T - k + 1, D)
  for (let k = 1; k <= c.num_nextn_predict_layers && T - k - 1 > 0; k++) {
    const L = T - k;
    const hIn = combine(model, k, slice(h, 1, 0, L), slice(tokens, 1, k, T)); // (B, L, D)
    const out = blockForward(hIn, model.params, c.num_hidden_layers + k - 1, model.ctx, { seqAuxAlpha });
    h = out.h; // (B, L, D)
    hiddens.push(h);
    moe.push(out.moe);
    const logits = model.head(slice(h, 1, 0, L - 1), `${mtpPrefix(c.num_hidden_layers, k)}.shared_head.norm.weight`); // (B, L-1, V)
    losses.push(crossEntropy(logits, slice(tokens, 1, k + 1, T))); // targets t_{i+k+1}: (B, L-1)
  }
  return { losses, hiddens, moe };
}

/**
 * Module k on its own one-layer latent cache for one packed call `batch` (advanced here): h holds
 * h^{k-1} at the call's positions and tokens the tokens one ahead of them, packed like the batch
 * ((R, n, .) uniform or (1, N, .)). Returns the module's logits (its guess of the token after each
 * of `tokens`) and h^k, same layout. Use inside engine.noGrad.
 */
export function mtpStep(
  model: DeepseekV3,
  k: number,
  cache: LatentCache,
  batch: PackedBatch,
  h: Tensor,
  tokens: Tensor,
): { logits: Tensor; hidden: Tensor } {
  const c = model.config;
  checkModule(model, k);
  model.checkTokens(tokens);
  const out = blockForward(combine(model, k, h, tokens), model.params, c.num_hidden_layers + k - 1, model.ctx, {
    cache: { cache, layer: 0, batch },
  }).h;
  cache.advance(batch);
  return { logits: model.head(out, `${mtpPrefix(c.num_hidden_layers, k)}.shared_head.norm.weight`), hidden: out };
}

/** mtpStep for a dense batch: h (B, Tn, D) and tokens (B, Tn) appended to MTP cache slots 0..B-1. */
export function mtpDraft(
  model: DeepseekV3,
  k: number,
  cache: LatentCache,
  h: Tensor,
  tokens: Tensor,
): { logits: Tensor; hidden: Tensor } {
  checkModule(model, k);
  const [B, Tn] = tokens.shape as [number, number];
  const batch = cache.pack(
    Array.from({ length: B }, (_, i) => i),
    new Array<number>(B).fill(Tn),
  );
  if (!batch.uniform) throw new Error(`mtpDraft: slots 0..${B - 1} of the MTP cache hold different lengths`);
  return mtpStep(model, k, cache, batch, h, tokens);
}
