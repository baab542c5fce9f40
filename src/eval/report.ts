/**
 * The R1-Zero results page (docs/results/r1-zero.md): the before/after table of held-out pass@1 and
 * cons@k per task, the three curves over GRPO steps drawn as SVG with src/train/plot.ts (training
 * accuracy and reward: R1 paper Figure 3 analogue; mean response length: Figure 5; reflection-phrase
 * rate: the "aha moment" words), and real completions of the same held-out problems before and after.
 * Every number on the page comes from the run's files; nothing is typed in by hand.
 */
import type { MetricsRecord } from '../train/metrics.js';
import { lineChartSvg, seriesOf } from '../train/plot.js';
import type { CheckpointEval } from './checkpoint-eval.js';

/** The three charts, by file name. */
export function r1ZeroCharts(records: readonly MetricsRecord[]): Map<string, string> {
  const s = (key: string, name: string) => seriesOf(records, 'grpo', key, name);
  return new Map([
    ['accuracy.svg', lineChartSvg({ title: 'R1-Zero (tiny): training accuracy and reward', xLabel: 'GRPO step', yLabel: 'mean over the step\'s samples', series: [s('accuracy', 'accuracy'), s('rewards/format/mean', 'format reward'), s('reward', 'total reward')] })],
    ['response-length.svg', lineChartSvg({ title: 'R1-Zero (tiny): average response length', xLabel: 'GRPO step', yLabel: 'tokens per response', series: [s('completion_length_mean', 'mean length')] })],
    ['reflection-rate.svg', lineChartSvg({ title: 'R1-Zero (tiny): reflection phrases per response', xLabel: 'GRPO step', yLabel: '"wait", "verify", "re-check", ... per response', series: [s('reflection_rate', 'reflection rate')] })],
  ]);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The markdown page. `chartDir` is the charts' folder relative to the page. */
export function r1ZeroPage(o: { before: CheckpointEval; after: CheckpointEval; records: readonly MetricsRecord[]; command: string; config: Record<string, unknown>; chartDir: string; examples?: number; notes?: string }): string {
  const k = o.before.options.k, tasks = (o.before.options.tasks ?? []).join(' and ');
  const rows = o.before.reports.map((b) => {
    const a = o.after.reports.find((r) => r.task === b.task)!;
    return `| ${b.task} | ${b.problems} | ${pct(b.pass_at_1)} | ${pct(a.pass_at_1)} | ${pct(b.cons_at_k)} | ${pct(a.cons_at_k)} | ${pct(b.format_rate)} | ${pct(a.format_rate)} | ${b.mean_length.toFixed(0)} | ${a.mean_length.toFixed(0)} |`;
  });
  const first = o.records[0], last = o.records[o.records.length - 1];
  const minutes = o.records.every((r) => typeof r.step_sec === 'number') ? o.records.reduce((t, r) => t + (r.step_sec as number), 0) / 60 : undefined;
  const ex: string[] = [];
  const n = o.examples ?? 2;
  for (const task of [...new Set(o.before.results.map((r) => r.task))]) {
    const bs = o.before.results.filter((r) => r.task === task), as = o.after.results.filter((r) => r.task === task);
    for (let i = 0; i < Math.min(n, bs.length); i++) {
      const b = bs[i]!, a = as.find((r) => r.key === b.key)!;
      ex.push(`#### ${task}: ${b.prompt.slice(0, 160)}${b.prompt.length > 160 ? '...' : ''}\n`);
      ex.push(`Before (${b.correct[0] ? 'correct' : 'wrong'}):\n\n\`\`\`text\n${b.responses[0]!.trim()}\n\`\`\`\n`);
      ex.push(`After (${a.correct[0] ? 'correct' : 'wrong'}):\n\n\`\`\`text\n${a.responses[0]!.trim()}\n\`\`\`\n`);
    }
  }
  return [
    '# R1-Zero at small scale: pure RL (GRPO) on the tiny base model',
    '',
    'GRPO with rule-based rewards only (accuracy from the exact task verifiers + strict format), no SFT, starting from the `tiny` base model',
    `pretrained by \`deepseek-ts pretrain\`, with the R1-Zero template (R1 paper Table 1) on ${tasks}.`,
    `Held-out evaluation: the first ${o.before.options.limit} problems of each task\'s fixed test split, k = ${k} samples per problem at temperature`,
    `${o.before.options.temperature} / top-p ${o.before.options.topP}; pass@1 is the mean correctness over the ${k} samples, cons@${k} the majority vote.`,
    '',
    'Reproduce (one command; it resumes where it stopped):',
    '',
    '```sh',
    o.command,
    '```',
    '',
    `Run: ${o.records.length} GRPO steps${minutes !== undefined ? ` (${minutes.toFixed(0)} minutes of rollouts and updates)` : ''} on the project machine (2 cores, shared with other jobs).`,
    '',
    ...(o.notes ? [o.notes, ''] : []),
    '## Held-out results, before and after',
    '',
    `| task | problems | pass@1 before | pass@1 after | cons@${k} before | cons@${k} after | format before | format after | length before | length after |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Curves over training',
    '',
    `Training-batch accuracy went from ${pct(Number(first?.accuracy ?? NaN))} at step 1 to ${pct(Number(last?.accuracy ?? NaN))} at step ${last?.step}; mean response length from ${Number(first?.completion_length_mean ?? NaN).toFixed(0)} to ${Number(last?.completion_length_mean ?? NaN).toFixed(0)} tokens; reflection phrases per response from ${Number(first?.reflection_rate ?? NaN).toFixed(2)} to ${Number(last?.reflection_rate ?? NaN).toFixed(2)}.`,
    '',
    `![accuracy and reward over steps](${o.chartDir}/accuracy.svg)`,
    '',
    `![average response length over steps](${o.chartDir}/response-length.svg)`,
    '',
    `![reflection-phrase rate over steps](${o.chartDir}/reflection-rate.svg)`,
    '',
    '## Completions of the same held-out problems, before and after (first sample of each)',
    '',
    ...ex,
    '## Run configuration',
    '',
    '```json',
    JSON.stringify(o.config, null, 2),
    '```',
    '',
  ].join('\n');
}
