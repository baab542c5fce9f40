/**
 * The GRPO objective per token (DeepSeekMath 4.1.1, R1 paper eq. 1-3) and its pieces:
 *   ratio  = pi(o_t) / pi_old(o_t) = exp(logp - old_logp)
 *   surr   = -min(ratio * A, clip(ratio, 1 - epsilon, 1 + epsilon_high) * A)
 *   kl     = pi_ref/pi - log(pi_ref/pi) - 1   (Schulman's k3 estimator, always >= 0)
 *   loss_t = surr + beta * kl
 * epsilon_high = epsilon gives the symmetric PPO clip; a larger epsilon_high is DAPO's clip-higher.
 * Shapes: logp, old_logp, ref_logp (B, T); advantages (B, 1) broadcast over the tokens.
 */
import { clamp, exp, minimum, mul, neg, add, sub, type Tensor } from '../tensor/index.js';

/** Per-token clipped surrogate loss -min(r A, clip(r) A). */
export function clippedSurrogate(
  logp: Tensor,
  oldLogp: Tensor,
  advantages: Tensor,
  epsilon: number,
  epsilonHigh = epsilon,
): Tensor {
  if (!(epsilon >= 0 && epsilonHigh >= 0))
    throw new Error(`clippedSurrogate: epsilon (${epsilon}) and epsilon_high (${epsilonHigh}) must be >= 0`);
  const ratio = exp(sub(logp, oldLogp)); // (B, T)
  const clipped = clamp(ratio, 1 - epsilon, 1 + epsilonHigh); // (B, T)
  return neg(minimum(mul(ratio, advantages), mul(clipped, advantages))); // (B, T)
}

/** Per-token k3 estimate of KL(pi || pi_ref): exp(ref - logp) - (ref - logp) - 1. */
export function k3Kl(logp: Tensor, refLogp: Tensor): Tensor {
  const d = sub(refLogp, logp); // log(pi_ref / pi)
  return sub(sub(exp(d), d), 1);
}

/** Per-token GRPO loss: surrogate, plus beta * k3 KL when beta > 0 (refLogp required then). */
export function grpoTokenLoss(o: {
  logp: Tensor;
  oldLogp: Tensor;
  refLogp?: Tensor;
  advantages: Tensor;
  epsilon: number;
  epsilonHigh: number;
  beta: number;
}): Tensor {
  const surr = clippedSurrogate(o.logp, o.oldLogp, o.advantages, o.epsilon, o.epsilonHigh);
  if (o.beta === 0) return surr;
  if (!o.refLogp) throw new Error(`grpoTokenLoss: beta is ${o.beta} but no reference log-probs were given`);
  return add(surr, mul(k3Kl(o.logp, o.refLogp), o.beta));
}

/** Clip statistics over masked tokens, TRL's definitions: low = ratio < 1-eps with A < 0, high = ratio > 1+eps_high with A > 0. */
export function clipFractions(
  ratio: ArrayLike<number>,
  adv: ArrayLike<number>,
  mask: ArrayLike<number>,
  tokensPerRow: number,
  epsilon: number,
  epsilonHigh: number,
): { low: number; high: number; region: number } {
  let low = 0,
    high = 0,
    n = 0;
  for (let i = 0; i < ratio.length; i++) {
    if (!mask[i]) continue;
    n++;
    const a = adv[Math.floor(i / tokensPerRow)]!,
      r = ratio[i]!;
    if (r < 1 - epsilon && a < 0) low++;
    else if (r > 1 + epsilonHigh && a > 0) high++;
  }
  return n === 0 ? { low: 0, high: 0, region: 0 } : { low: low / n, high: high / n, region: (low + high) / n };
}
