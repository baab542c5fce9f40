/**
 * The evaluation report as a fixed-width text table, one line per task and "all" (what
 * `deepseek-ts eval` prints): pass@1, pass@k, cons@k, greedy accuracy, mean response length in
 * tokens, format-violation and language-mixing rates, reflection phrases per response. A figure
 * that was not measured (NaN: greedy accuracy without the greedy pass) shows as "-".
 */
import type { EvalRow } from './model-eval.js';

const COLUMNS: readonly {
  head: (k: number) => string;
  width: number;
  cell: (r: EvalRow) => number;
  fmt: 'pct' | 'len' | 'rate';
}[] = [
  { head: () => 'pass@1', width: 7, cell: (r) => r.pass_at_1, fmt: 'pct' },
  { head: (k) => `pass@${k}`, width: 7, cell: (r) => r.pass_at_k, fmt: 'pct' },
  { head: (k) => `cons@${k}`, width: 7, cell: (r) => r.cons_at_k, fmt: 'pct' },
  { head: () => 'greedy', width: 7, cell: (r) => r.greedy_accuracy, fmt: 'pct' },
  { head: () => 'length', width: 7, cell: (r) => r.mean_length, fmt: 'len' },
  { head: () => 'fmt-viol', width: 8, cell: (r) => r.format_violation_rate, fmt: 'pct' },
  { head: () => 'mixing', width: 7, cell: (r) => r.language_mixing_rate, fmt: 'pct' },
  { head: () => 'reflect', width: 7, cell: (r) => r.reflection_rate, fmt: 'rate' },
];

function format(x: number, how: 'pct' | 'len' | 'rate'): string {
  if (!Number.isFinite(x)) return '-';
  return how === 'pct' ? `${(100 * x).toFixed(1)}%` : how === 'len' ? x.toFixed(1) : x.toFixed(2);
}

/** The table; `k` names the pass@k / cons@k columns. */
export function evalTable(rows: readonly EvalRow[], k: number): string {
  const w = rows.map((r) => r.task.length).reduce((a, b) => Math.max(a, b), 4);
  const head = ['task'.padEnd(w), 'problems', ...COLUMNS.map((c) => c.head(k).padStart(c.width))].join('  ');
  const lines = rows.map((r) =>
    [
      r.task.padEnd(w),
      String(r.problems).padStart(8),
      ...COLUMNS.map((c) => format(c.cell(r), c.fmt).padStart(c.width)),
    ].join('  '),
  );
  return `${[head, ...lines].join('\n')}\n`;
}
