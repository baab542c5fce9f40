/**
 * The report of an R1 pipeline run (`deepseek-ts report <run dir>`): reads pipeline.json, every
 * stage manifest, every evaluation an eval stage wrote, the data stages' statistics and the
 * training metrics, and writes docs-ready Markdown with SVG charts comparing every evaluated
 * checkpoint (base, R1-Zero, each R1 stage, each student): accuracy (pass@1, greedy),
 * readability (format violations, language mixing), response length, the kept / rejected counts
 * of the rejection-sampling stages, the training curves and the distillation timings. Every
 * number comes from the run's files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StageManifest } from '../pipeline/runner.js';
import { readMetrics, type MetricsRecord } from '../train/metrics.js';
import { lineChartSvg, seriesOf, type Series } from '../train/plot.js';
import { barChartSvg } from './bar-chart.js';
import type { ModelEval } from './model-eval.js';

export interface RunData {
  dir: string;
  stages: StageManifest[];
  evals: { label: string; stage: string; eval: ModelEval }[];
  metrics: { name: string; kind: string; records: MetricsRecord[] }[];
}

/** Reads everything the report needs from a run folder. */
export function loadRun(dir: string): RunData {
  const index = join(dir, 'pipeline.json');
  if (!existsSync(index))
    throw new Error(`report: ${index} does not exist; expected the output_dir of \`deepseek-ts pipeline run\``);
  const names = (JSON.parse(readFileSync(index, 'utf8')) as { stages: { name: string }[] }).stages.map((s) => s.name);
  const stages = names.map((n) => JSON.parse(readFileSync(join(dir, n, 'manifest.json'), 'utf8')) as StageManifest);
  const evals: RunData['evals'] = [],
    metrics: RunData['metrics'] = [];
  for (const s of stages) {
    for (const [label, path] of Object.entries((s.outputs?.evals as Record<string, string> | undefined) ?? {})) {
      if (existsSync(path))
        evals.push({ label, stage: s.name, eval: JSON.parse(readFileSync(path, 'utf8')) as ModelEval });
    }
    if (typeof s.outputs?.metrics === 'string' && existsSync(s.outputs.metrics))
      metrics.push({ name: s.name, kind: s.kind, records: readMetrics(s.outputs.metrics, true) });
    for (const [name, mdir] of Object.entries(s.outputs?.models ?? {})) {
      const p = join(mdir, 'metrics.jsonl');
      if (existsSync(p))
        metrics.push({ name, kind: name.endsWith('-rl') ? 'grpo' : 'dense', records: readMetrics(p, true) });
    }
  }
  return { dir, stages, evals, metrics };
}

const all = (e: ModelEval) => e.rows.find((r) => r.task === 'all')!;
const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');

/** The charts, by file name. */
export function runCharts(d: RunData): Map<string, string> {
  const out = new Map<string, string>(),
    labels = d.evals.map((e) => e.label);
  if (d.evals.length) {
    out.set(
      'accuracy.svg',
      barChartSvg({
        title: 'Held-out accuracy per checkpoint',
        categories: labels,
        yLabel: 'share correct',
        percent: true,
        series: [
          { name: `pass@1 (k=${d.evals[0]!.eval.settings.k})`, values: d.evals.map((e) => all(e.eval).pass_at_1) },
          { name: 'greedy', values: d.evals.map((e) => all(e.eval).greedy_accuracy) },
        ],
      }),
    );
    out.set(
      'readability.svg',
      barChartSvg({
        title: 'Readability per checkpoint (lower is better)',
        categories: labels,
        yLabel: 'share of responses',
        percent: true,
        series: [
          { name: 'format violations', values: d.evals.map((e) => all(e.eval).format_violation_rate) },
          { name: 'language mixing', values: d.evals.map((e) => all(e.eval).language_mixing_rate) },
        ],
      }),
    );
    out.set(
      'length.svg',
      barChartSvg({
        title: 'Average response length per checkpoint',
        categories: labels,
        yLabel: 'tokens',
        series: [{ name: 'mean length', values: d.evals.map((e) => all(e.eval).mean_length) }],
      }),
    );
  }
  const line = (file: string, title: string, yLabel: string, series: Series[]) => {
    if (series.some((s) => s.points.length))
      out.set(file, lineChartSvg({ title, xLabel: 'step', yLabel, series: series.filter((s) => s.points.length) }));
  };
  line(
    'sft-loss.svg',
    'SFT stages: training loss',
    'cross-entropy (nats)',
    d.metrics
      .filter((m) => m.kind === 'sft' || m.kind === 'dense')
      .map((m) => seriesOf(m.records, 'train', 'loss', m.name)),
  );
  line(
    'rl-accuracy.svg',
    'RL stages: training-batch accuracy',
    'accuracy',
    d.metrics.filter((m) => m.kind === 'grpo').map((m) => seriesOf(m.records, 'grpo', 'accuracy', m.name)),
  );
  line(
    'rl-length.svg',
    'RL stages: mean response length',
    'tokens',
    d.metrics
      .filter((m) => m.kind === 'grpo')
      .map((m) => seriesOf(m.records, 'grpo', 'completion_length_mean', m.name)),
  );
  return out;
}

type Stats = { candidates: number; kept: number; rejected: Record<string, number> };

function statsRows(d: RunData): string[] {
  const rows: string[] = [];
  for (const s of d.stages) {
    const st = s.outputs?.stats as Record<string, unknown> | undefined;
    if (!st) continue;
    for (const [part, v] of Object.entries(st)) {
      const x = v as Stats | null;
      if (!x || typeof x !== 'object' || typeof x.candidates !== 'number') continue;
      const rej =
        Object.entries(x.rejected)
          .filter(([, n]) => n > 0)
          .map(([r, n]) => `${r} ${n}`)
          .join(', ') || 'none';
      rows.push(`| ${s.name} | ${part} | ${x.candidates} | ${x.kept} | ${rej} |`);
    }
    rows.push(
      `| ${s.name} | written records | | ${String(st.records ?? '')} | by task: ${Object.entries(
        (st.by_task as Record<string, number>) ?? {},
      )
        .map(([t, n]) => `${t} ${n}`)
        .join(', ')} |`,
    );
  }
  return rows;
}

/** The general-scenario table (chat prompts, direct queries), when the eval stage measured them. */
function generalSection(d: RunData): string[] {
  const withGeneral = d.evals.filter((e) => e.eval.general?.length);
  if (!withGeneral.length) return [];
  const cell = (e: ModelEval, task: string, f: (r: NonNullable<ModelEval['general']>[number]) => string) => {
    const r = e.general?.find((x) => x.task === task);
    return r ? f(r) : '-';
  };
  return [
    '## General scenarios: chat prompts and direct queries',
    '',
    "R1-Zero only ever saw reasoning prompts; R1's second SFT round and final RL add simple queries " +
      'and chat (paper 2.3.3-2.3.4). A chat reply should be a think block (empty or short) and a plain reply; a direct query a tagged exact answer.',
    '',
    '| checkpoint | direct: pass@1 | direct: format violations | chat: layout violations | chat: mean length | chat: language mixing |',
    '|---|---|---|---|---|---|',
    ...withGeneral.map(
      (e) =>
        `| ${e.label} | ${cell(e.eval, 'direct', (r) => pct(r.pass_at_1))} | ` +
        `${cell(e.eval, 'direct', (r) => pct(r.format_violation_rate))} | ` +
        `${cell(e.eval, 'chat', (r) => pct(r.format_violation_rate))} | ` +
        `${cell(e.eval, 'chat', (r) => r.mean_length.toFixed(0))} | ${cell(e.eval, 'chat', (r) => pct(r.language_mixing_rate))} |`,
    ),
    '',
  ];
}

/** The Markdown page; `chartDir` is the charts' folder relative to the page. */
export function runPage(d: RunData, o: { chartDir: string; command?: string; notes?: string }): string {
  const k = d.evals[0]?.eval.settings.k ?? 0;
  const tasks = [...new Set(d.evals.flatMap((e) => e.eval.rows.map((r) => r.task)))].filter((t) => t !== 'all');
  const charts = runCharts(d);
  const img = (f: string, alt: string) => (charts.has(f) ? [`![${alt}](${o.chartDir}/${f})`, ''] : []);
  const timings = d.stages
    .filter((s) => s.kind === 'distill')
    .flatMap((s) =>
      Object.entries(
        (s.outputs?.timings as Record<
          string,
          Record<string, { steps: number; seconds: number; budget_sec?: number }>
        >) ?? {},
      ).flatMap(([st, t]) =>
        Object.entries(t).map(([what, v]) => `| ${st} | ${what} | ${v.steps} | ${v.seconds.toFixed(0)} |`),
      ),
    );
  return [
    '# The DeepSeek-R1 pipeline at small scale',
    '',
    ...(o.notes ? [o.notes, ''] : []),
    ...(o.command ? ['Reproduce:', '', '```sh', o.command, '```', ''] : []),
    '## Stages',
    '',
    '| stage | kind | status | minutes |',
    '|---|---|---|---|',
    ...d.stages.map((s) => `| ${s.name} | ${s.kind} | ${s.status} | ${(s.seconds / 60).toFixed(1)} |`),
    '',
    '## Every checkpoint on the held-out problems (all tasks)',
    '',
    d.evals.length
      ? `Sampling: k = ${k} at temperature ${d.evals[0]!.eval.settings.temperature}, top-p ` +
        `${d.evals[0]!.eval.settings.topP}; greedy: one sample at temperature 0; ${d.evals[0]!.eval.settings.limit} ` +
        `problems per task; at most ${d.evals[0]!.eval.settings.maxNewTokens} new tokens.`
      : 'No evaluation was run.',
    '',
    `| checkpoint | model | parameters | template | pass@1 | cons@${k} | greedy | mean length | format violations | language mixing |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...d.evals.map((e) => {
      const a = all(e.eval);
      return (
        `| ${e.label} | ${e.eval.modelType} | ${(e.eval.parameters / 1e6).toFixed(2)}M | ` +
        `${e.eval.settings.template} | ${pct(a.pass_at_1)} | ${pct(a.cons_at_k)} | ${pct(a.greedy_accuracy)} ` +
        `| ${a.mean_length.toFixed(0)} | ${pct(a.format_violation_rate)} | ${pct(a.language_mixing_rate)} |`
      );
    }),
    '',
    ...img('accuracy.svg', 'accuracy per checkpoint'),
    ...img('readability.svg', 'readability per checkpoint'),
    ...img('length.svg', 'response length per checkpoint'),
    '## Per task (pass@1 / greedy)',
    '',
    `| checkpoint | ${tasks.join(' | ')} |`,
    `|---|${tasks.map(() => '---|').join('')}`,
    ...d.evals.map(
      (e) =>
        `| ${e.label} | ${tasks
          .map((t) => {
            const r = e.eval.rows.find((x) => x.task === t);
            return r ? `${pct(r.pass_at_1)} / ${pct(r.greedy_accuracy)}` : '-';
          })
          .join(' | ')} |`,
    ),
    '',
    ...generalSection(d),
    '## SFT data: kept and rejected by reason',
    '',
    '| stage | source | candidates | kept | rejected (first failing filter) |',
    '|---|---|---|---|---|',
    ...statsRows(d),
    '',
    ...(timings.length
      ? [
          '## Distillation and the RL student: training time',
          '',
          '| student | run | steps | seconds |',
          '|---|---|---|---|',
          ...timings,
          '',
        ]
      : []),
    '## Training curves',
    '',
    ...img('sft-loss.svg', 'SFT loss'),
    ...img('rl-accuracy.svg', 'RL accuracy'),
    ...img('rl-length.svg', 'RL response length'),
  ].join('\n');
}
