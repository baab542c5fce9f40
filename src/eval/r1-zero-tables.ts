/**
 * The behaviour tables of the R1-Zero results page (src/eval/r1-zero-page.ts): the share of each
 * solver mode and its accuracy, and how the countdown comparisons decide and why false success
 * claims are false (src/eval/claim-cause.ts) and where their final checks go wrong
 * (src/eval/check-fault.ts), in sampled responses and teacher forced.
 */
import type { BehaviourGroup } from './behaviours.js';
import { CHECK_FAULTS } from './check-fault.js';
import { CLAIM_CAUSES, type ClaimCause } from './claim-cause.js';
import type { EvalDigest } from './r1-zero-digest.js';
import type { R1ZeroFiles } from './r1-zero-page.js';

/** A share as a percentage with one decimal, or n/a. */
export const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

export const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;

/** The modes table of one evaluation's countdown tiers: share of responses and accuracy within. */
export function modesTable(d: EvalDigest): string[] {
  const groups = d.behaviours.filter((g) => g.group.startsWith('countdown/') || g.group.startsWith('arithmetic/'));
  const modes = [...new Set(groups.flatMap((g) => Object.keys(g.modes)))].sort();
  return [
    row(['tier', ...modes]),
    row(['---', ...modes.map(() => '---')]),
    ...groups.map((g) =>
      row([
        g.group,
        ...modes.map((m) => (g.modes[m] ? `${pct(g.modes[m]!.share)} (right ${pct(g.modes[m]!.accuracy)})` : '-')),
      ]),
    ),
  ];
}

/** "arithmetic 30%, board 3%, decision 0%, answer 67%" (digests written before the counter: n/a). */
function causes(c: Record<ClaimCause, number> | undefined): string {
  return c ? CLAIM_CAUSES.map((k) => `${k} ${pct(c[k])}`).join(', ') : 'n/a';
}

/**
 * How often the countdown comparisons decide right: in sampled responses, the share of comparisons
 * whose decision contradicts the numbers they wrote (and of success claims that are false); teacher
 * forced, the share of reference decisions predicted whole, split by what the reference decided.
 */
export function decisionsSection(files: R1ZeroFiles): string[] {
  const tiers = ['countdown/4', 'countdown/5'];
  const L = [
    '',
    '## Decisions of the countdown comparisons',
    '',
    'Sampled responses: the share of comparisons whose decision contradicts the numbers they wrote ("= 90 vs 76',
    '..., equal!" or "= 76 vs 76 ..., no.": `wrongDecisionShare`), of success claims that are false, and of those',
    'false claims by the first fault of the search behind them (`falseClaimCauses`, src/eval/claim-cause.ts):',
    'a wrong step, a step off the board, a wrong decision, or none, so the answer misstates what was found.',
    '',
    row(['stage', ...tiers.flatMap((t) => [`${t} wrong decisions`, `${t} false claims`, `${t} causes`])]),
    row(['---', ...tiers.flatMap(() => ['---', '---', '---'])]),
  ];
  for (const [name, d] of files.evals) {
    const g = (t: string) => d.behaviours.find((x) => x.group === t);
    L.push(
      row([
        name,
        ...tiers.flatMap((t) => [
          pct(g(t)?.wrongDecisionShare ?? Number.NaN),
          pct(g(t)?.falseClaimShare ?? Number.NaN),
          causes(g(t)?.falseClaimCauses),
        ]),
      ]),
    );
  }
  for (const line of checkFaultsTable(files, tiers)) L.push(line);
  const kinds = ['verdict-no', 'verdict-equal', 'verdict-correct', 'verdict-wrong'];
  L.push(
    '',
    'Teacher forced on held-out reference traces (each base): the share of decisions predicted whole, by kind.',
    '',
    row(['base', 'tier', ...kinds]),
    row(['---', '---', ...kinds.map(() => '---')]),
  );
  for (const [arm, st] of files.steps)
    for (const t of tiers) {
      const c = st.groups[t];
      if (c)
        L.push(
          row([
            arm,
            t,
            ...kinds.map((k) => (c[k]?.lines ? `${pct(c[k]!.exactLines / c[k]!.lines)} of ${c[k]!.lines}` : '-')),
          ]),
        );
    }
  return L;
}

/** "wrong slot 77.2%, board 10.1%" over the kinds that occur, largest first (older digests: n/a). */
function faults(g: BehaviourGroup | undefined): string {
  if (!g?.checkFaults) return 'n/a';
  const seen = CHECK_FAULTS.filter((k) => g.checkFaults[k] > 0).sort((a, b) => g.checkFaults[b] - g.checkFaults[a]);
  return seen.length ? seen.map((k) => `${k} ${pct(g.checkFaults[k])}`).join(', ') : '-';
}

/**
 * Where the final check of the answer-cause false claims goes wrong, per evaluation and countdown
 * tier: how many such claims the sampled responses hold, and their shares by the first fault of the
 * check (src/eval/check-fault.ts).
 */
export function checkFaultsTable(files: R1ZeroFiles, tiers: readonly string[]): string[] {
  const L = [
    '',
    'Where the final check goes wrong in the false claims whose cause is the answer (a sound search): the first',
    'term that does not keep the target, by how it was made from the term before (`checkFault`, src/eval/check-fault.ts;',
    '`wrong slot`: the right step put in for another number than the one it made).',
    '',
    row(['stage', ...tiers.flatMap((t) => [`${t} answer-cause claims`, `${t} check faults`])]),
    row(['---', ...tiers.flatMap(() => ['---', '---'])]),
  ];
  for (const [name, d] of files.evals) {
    const g = (t: string) => d.behaviours.find((x) => x.group === t);
    L.push(row([name, ...tiers.flatMap((t) => [g(t)?.answerCauseClaims ?? 'n/a', faults(g(t))])]));
  }
  return L;
}
