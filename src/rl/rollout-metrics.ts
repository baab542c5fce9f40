/**
 * What a batch of GRPO rollouts shows besides reward and length (issue 14): accuracy and mean
 * length per task tier, and the behaviour counters of src/eval/behaviours.ts (verification,
 * backtracking, subgoals, success claims and false ones, the solver modes), so the RL curves of
 * R1-Zero (length and verification rising, R1 paper Figure 3) can be drawn from the metrics JSONL.
 */
import { type Behaviours, countBehaviours, summariseBehaviours } from '../eval/behaviours.js';
import { accuracyReward } from '../rewards/accuracy.js';
import type { RewardInput } from '../rewards/types.js';
import { CHAT_TASK } from '../tasks/chat.js';

const avg = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/**
 * Per task tier (`tiers/countdown/4/accuracy`, `.../length`) and behaviour figures of a batch of
 * rollouts (src/eval/behaviours.ts: means per response, shares in [0, 1], `modes/<mode>` shares),
 * for the RL curves of issue 14 (length per tier, verification, false success claims).
 */
export function tierAndBehaviourMetrics(
  inputs: readonly RewardInput[],
  lengths: readonly number[],
): Record<string, number> {
  const out: Record<string, number> = {};
  const tiers = new Map<string, { acc: number[]; len: number[] }>();
  const counted: Behaviours[] = [];
  inputs.forEach((x, i) => {
    if (x.problem.task === CHAT_TASK) return;
    const t = tiers.get(`${x.problem.task}/${x.problem.difficulty}`) ?? { acc: [], len: [] };
    t.acc.push(accuracyReward(x));
    t.len.push(lengths[i]!);
    tiers.set(`${x.problem.task}/${x.problem.difficulty}`, t);
    counted.push(countBehaviours(x.problem, x.response));
  });
  for (const [tier, t] of [...tiers].sort(([a], [b]) => a.localeCompare(b))) {
    out[`tiers/${tier}/accuracy`] = avg(t.acc);
    out[`tiers/${tier}/length`] = avg(t.len);
  }
  const b = summariseBehaviours(counted);
  Object.assign(out, {
    'behaviours/candidates': b.candidates,
    'behaviours/distinct_candidates': b.distinctCandidates,
    'behaviours/verifications': b.verifications,
    'behaviours/backtracks': b.backtracks,
    'behaviours/subgoals': b.subgoals,
    'behaviours/retractions': b.retractions,
    'behaviours/success_claims': b.successClaims,
    'behaviours/false_claim_share': b.falseClaimShare,
    'behaviours/arithmetic_slips': b.arithmeticSlips,
  });
  for (const [mode, m] of Object.entries(b.modes).sort(([a], [c]) => a.localeCompare(c)))
    out[`modes/${mode}`] = m.share;
  return out;
}
