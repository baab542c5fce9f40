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
    [
      'accuracy.svg',
      lineChartSvg({
        title: 'R1-Zero (tiny): training accuracy and reward',
        xLabel: 'GRPO step',
        yLabel: "mean over the step's samples",
        series: [s('accuracy', 'accuracy'), s('rewards/format/mean', 'format reward'), s('reward', 'total reward')],
      }),
    ],
    [
      'response-length.svg',
      lineChartSvg({
        title: 'R1-Zero (tiny): average response length',
        xLabel: 'GRPO step',
        yLabel: 'tokens per response',
        series: [s('completion_length_mean', 'mean length')],
      }),
    ],
    [
      'reflection-rate.svg',
      lineChartSvg({
        title: 'R1-Zero (tiny): reflection phrases per response',
        xLabel: 'GRPO step',
        yLabel: '"wait", "verify", "re-check", ... per response',
        series: [s('reflection_rate', 'reflection rate')],
      }),
    ],
  ]);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** The markdown page. `chartDir` is the charts' folder relative to the page. */
export function r1ZeroPage(o: {
  before: CheckpointEval;
  after: CheckpointEval;
  records: readonly MetricsRecord[];
  command: string;
  config: Record<string, unknown>;
  chartDir: string;
  examples?: number;
  notes?: string;
}): string {
  const k = o.before.options.k,
    tasks = (o.before.options.tasks ?? []).join(' and ');
  const rows = o.before.reports.map((b) => {
    const a = o.after.reports.find((r) => r.task === b.task)!;
    return (
      `| ${b.task} | ${b.problems} | ${pct(b.pass_at_1)} | ${pct(a.pass_at_1)} | ${pct(b.cons_at_k)} ` +
      `| ${pct(a.cons_at_k)} | ${pct(b.format_rate)} | ${pct(a.format_rate)} | ${b.mean_length.toFixed(0)} | ${a.mean_length.toFixed(0)} |`
    );
  });
  // The training curves are noisy step to step: report the mean of the first and the last tenth.
  const span = Math.max(1, Math.round(o.records.length / 10));
  const head = o.records.slice(0, span),
    tail = o.records.slice(-span);
  const mean = (rs: readonly MetricsRecord[], key: string) =>
    rs.reduce((t, r) => t + Number(r[key] ?? NaN), 0) / rs.length;
  const minutes = o.records.every((r) => typeof r.step_sec === 'number')
    ? o.records.reduce((t, r) => t + (r.step_sec as number), 0) / 60
    : undefined;
  const ex: string[] = [];
  const n = o.examples ?? 2;
  const count = (c: readonly boolean[]) => c.filter(Boolean).length;
  for (const task of [...new Set(o.before.results.map((r) => r.task))]) {
    // The problems whose share of correct samples moved most come first (ties: test-split order).
    const pairs = o.before.results
      .filter((r) => r.task === task)
      .map((b, i) => ({ b, a: o.after.results.find((r) => r.key === b.key)!, i }));
    pairs.sort(
      (x, y) =>
        Math.abs(count(y.a.correct) - count(y.b.correct)) - Math.abs(count(x.a.correct) - count(x.b.correct)) ||
        x.i - y.i,
    );
    for (const { b, a } of pairs.slice(0, n)) {
      const shown = (r: typeof b) => {
        const at = r.correct.findIndex(Boolean);
        return at >= 0 && count(r.correct) * 2 >= r.correct.length ? at : r.correct.findIndex((c) => !c);
      };
      const sb = Math.max(0, shown(b)),
        sa = Math.max(0, shown(a));
      ex.push(`#### ${task}: ${b.prompt.slice(0, 160)}${b.prompt.length > 160 ? '...' : ''}\n`);
      ex.push(
        `Before: ${count(b.correct)} of ${b.correct.length} samples correct; sample ${sb + 1} ` +
          `(${b.correct[sb] ? 'correct' : 'wrong'}):\n\n\`\`\`text\n${b.responses[sb]!.trim()}\n\`\`\`\n`,
      );
      ex.push(
        `After: ${count(a.correct)} of ${a.correct.length} samples correct; sample ${sa + 1} ` +
          `(${a.correct[sa] ? 'correct' : 'wrong'}):\n\n\`\`\`text\n${a.responses[sa]!.trim()}\n\`\`\`\n`,
      );
    }
  }
  return [
    '# R1-Zero at small scale: pure RL (GRPO) on the tiny base model',
    '',
    'GRPO with rule-based rewards only (accuracy from the exact task verifiers + strict format), no SFT, starting from the `tiny` base model',
    `pretrained by \`deepseek-ts pretrain\`, with the R1-Zero template (R1 paper Table 1) on ${tasks}.`,
    `Held-out evaluation: the first ${o.before.options.limit} problems of each task's fixed test split, k = ${k} samples per problem at temperature`,
    `${o.before.options.temperature} / top-p ${o.before.options.topP}; pass@1 is the mean correctness ` +
      `over the ${k} samples, cons@${k} the majority vote.`,
    '',
    'Reproduce (one command; it resumes where it stopped):',
    '',
    '```sh',
    o.command,
    '```',
    '',
    `Run: ${o.records.length} GRPO steps` +
      (minutes !== undefined
        ? ` (${minutes.toFixed(0)} minute${minutes.toFixed(0) === '1' ? '' : 's'} of rollouts and updates)`
        : '') +
      ' on the project machine (2 cores, shared with other jobs).',
    '',
    ...(o.notes ? [o.notes, ''] : []),
    '## Held-out results, before and after',
    '',
    `| task | problems | pass@1 before | pass@1 after | cons@${k} before | cons@${k} after | format ` +
      `before | format after | length before | length after |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '## Curves over training',
    '',
    `Means over the first and the last ${span} step${span > 1 ? 's' : ''}: training-batch accuracy ` +
      `(temperature ${String(o.config.temperature ?? 1)}) ${pct(mean(head, 'accuracy'))} -> ` +
      `${pct(mean(tail, 'accuracy'))}; mean response length ${mean(head, 'completion_length_mean').toFixed(0)} ` +
      `-> ${mean(tail, 'completion_length_mean').toFixed(0)} tokens; reflection phrases per response ` +
      `${mean(head, 'reflection_rate').toFixed(2)} -> ${mean(tail, 'reflection_rate').toFixed(2)}; ` +
      `groups with no reward spread ${pct(mean(head, 'zero_spread_share'))} -> ${pct(mean(tail, 'zero_spread_share'))}.`,
    '',
    `![accuracy and reward over steps](${o.chartDir}/accuracy.svg)`,
    '',
    `![average response length over steps](${o.chartDir}/response-length.svg)`,
    '',
    `![reflection-phrase rate over steps](${o.chartDir}/reflection-rate.svg)`,
    '',
    '## Completions of the same held-out problems, before and after (the problems whose accuracy moved ' +
      'most; a correct sample is shown when at least half are correct)',
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
