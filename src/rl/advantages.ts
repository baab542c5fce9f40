/**
 * Group-relative advantages (GRPO, DeepSeekMath paper 4.1.2; R1 paper 2.2.1): the G responses to
 * one prompt form a group, and each response's advantage is its reward against the group's:
 *   group:  A_i = (r_i - mean(r_group)) / (std(r_group) + eps)          (GRPO, R1-Zero)
 *   none:   A_i =  r_i - mean(r_group)                                 (Dr. GRPO, Liu et al. 2025)
 *   batch:  A_i = (r_i - mean(r_group)) / (std(r_batch) + eps)          (TRL scale_rewards="batch")
 * std is the sample standard deviation (Bessel-corrected), as TRL computes it with torch.std;
 * eps = 1e-4 as in TRL. Rewards are laid out group by group: [g0 r0..r(G-1), g1 r0.., ...].
 * Each variant is its own function; `advantageFunction` picks one at setup.
 */

/** TRL's GRPOConfig `scale_rewards`. */
export type ScaleRewards = 'group' | 'batch' | 'none';
export const SCALE_REWARDS: readonly ScaleRewards[] = ['group', 'batch', 'none'];

/** Advantages of rewards laid out in groups of `groupSize`. */
export type AdvantageFn = (rewards: ArrayLike<number>, groupSize: number) => Float64Array;

export const ADVANTAGE_EPS = 1e-4;

function checkGroups(rewards: ArrayLike<number>, g: number): number {
  if (!Number.isInteger(g) || g < 2)
    throw new Error(`advantages: groupSize must be an integer >= 2 (num_generations), got ${g}`);
  if (rewards.length % g !== 0)
    throw new Error(`advantages: ${rewards.length} rewards do not split into groups of ${g}`);
  return rewards.length / g;
}

function meanOf(x: ArrayLike<number>, from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]!;
  return s / (to - from);
}

/** Bessel-corrected standard deviation of x[from..to). */
export function sampleStd(x: ArrayLike<number>, from = 0, to = x.length): number {
  const m = meanOf(x, from, to);
  let ss = 0;
  for (let i = from; i < to; i++) ss += (x[i]! - m) ** 2;
  return Math.sqrt(ss / (to - from - 1));
}

/** Per-group mean and sample std of the rewards. */
export function groupStats(rewards: ArrayLike<number>, groupSize: number): { mean: Float64Array; std: Float64Array } {
  const n = checkGroups(rewards, groupSize);
  const mean = new Float64Array(n),
    std = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    mean[k] = meanOf(rewards, k * groupSize, (k + 1) * groupSize);
    std[k] = sampleStd(rewards, k * groupSize, (k + 1) * groupSize);
  }
  return { mean, std };
}

/** (r - group mean) / (group std + eps): GRPO as in R1-Zero. */
export function groupScaledAdvantages(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  const { mean, std } = groupStats(rewards, groupSize);
  return Float64Array.from({ length: rewards.length }, (_, i) => {
    const k = Math.floor(i / groupSize);
    return (rewards[i]! - mean[k]!) / (std[k]! + ADVANTAGE_EPS);
  });
}

/** r - group mean: the "no std" variant (Dr. GRPO). */
export function groupCenteredAdvantages(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  const { mean } = groupStats(rewards, groupSize);
  return Float64Array.from({ length: rewards.length }, (_, i) => rewards[i]! - mean[Math.floor(i / groupSize)]!);
}

/** (r - group mean) / (batch std + eps). */
export function batchScaledAdvantages(rewards: ArrayLike<number>, groupSize: number): Float64Array {
  const centered = groupCenteredAdvantages(rewards, groupSize);
  const s = sampleStd(rewards) + ADVANTAGE_EPS;
  return centered.map((a) => a / s);
}

/** The advantage function for TRL's `scale_rewards`. */
export function advantageFunction(scale: ScaleRewards): AdvantageFn {
  switch (scale) {
    case 'group':
      return groupScaledAdvantages;
    case 'batch':
      return batchScaledAdvantages;
    case 'none':
      return groupCenteredAdvantages;
    default:
      throw new Error(`scale_rewards must be one of ${SCALE_REWARDS.join(', ')}, got ${JSON.stringify(scale)}`);
  }
}

/** Share of groups whose rewards are all equal (they carry no learning signal). */
export function zeroSpreadShare(rewards: ArrayLike<number>, groupSize: number): number {
  const n = checkGroups(rewards, groupSize);
  let zero = 0;
  for (let k = 0; k < n; k++) {
    let same = true;
    for (let i = k * groupSize + 1; i < (k + 1) * groupSize; i++)
      if (rewards[i] !== rewards[k * groupSize]) {
        same = false;
        break;
      }
    if (same) zero++;
  }
  return zero / n;
}
