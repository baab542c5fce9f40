/**
 * Combining rewards (R1 paper 2.2.2 and 2.3.2: the final reward is a sum of rule-based terms,
 * e.g. accuracy + format, or accuracy + language consistency): each reward is chosen by name once
 * at setup and weighted (the final RL stage adds length, paper 2.3.4); scoring a batch returns the weighted total and every term on its own (the
 * trainer logs each term's mean and std).
 */
import { accuracyReward } from './accuracy.js';
import { formatReward } from './format.js';
import { languageConsistencyReward } from './language.js';
import { lengthReward } from './length.js';
import { tinyZeroReward } from './tinyzero.js';
import type { RewardFn, RewardInput } from './types.js';

/** The rewards by config name. */
export const REWARD_FUNCTIONS: Readonly<Record<string, RewardFn>> = Object.freeze({
  accuracy: accuracyReward,
  format: formatReward,
  language: languageConsistencyReward,
  length: lengthReward,
  tinyzero: tinyZeroReward,
});

/** A reward with its weight. */
export interface WeightedReward {
  name: string;
  fn: RewardFn;
  weight: number;
}

/** Scores of a batch: the weighted total and each term, per response. */
export interface RewardScores {
  total: Float64Array;
  terms: Map<string, Float64Array>;
}

/** The weighted rewards for `weights` ({name: weight}); names must be in REWARD_FUNCTIONS. */
export function rewardsByName(weights: Readonly<Record<string, number>>): WeightedReward[] {
  const names = Object.keys(weights);
  if (names.length === 0)
    throw new Error(`reward_weights: expected at least one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}, got {}`);
  return names.map((name) => {
    const fn = REWARD_FUNCTIONS[name];
    if (!fn)
      throw new Error(
        `reward_weights: unknown reward ${JSON.stringify(name)}; expected one of ${Object.keys(REWARD_FUNCTIONS).join(', ')}`,
      );
    const weight = weights[name]!;
    if (!Number.isFinite(weight))
      throw new Error(`reward_weights.${name}: weight must be a finite number, got ${weight}`);
    return { name, fn, weight };
  });
}

/** Scores every input with every reward. */
export function scoreResponses(rewards: readonly WeightedReward[], inputs: readonly RewardInput[]): RewardScores {
  const total = new Float64Array(inputs.length);
  const terms = new Map<string, Float64Array>();
  for (const r of rewards) {
    const v = new Float64Array(inputs.length);
    inputs.forEach((inp, i) => {
      v[i] = r.fn(inp);
      total[i]! += r.weight * v[i]!;
    });
    terms.set(r.name, v);
  }
  return { total, terms };
}
