/**
 * The R1-Zero results page and summary.json (issue 14), generated from the committed files of
 * docs/results/r1-zero/ only (src/eval/r1-zero-collect.ts writes them): no figure is typed. The
 * acceptance criteria of protocol section 8 are computed here, each with its value, its target
 * and whether it is met; a criterion whose runs have not finished says so.
 * Stage names follow recipes/r1-zero-final.yaml: eval-base-<arm>, grpo-<arm>-s<seed>,
 * eval-<arm>-s<seed> (arms primed, optimal, wrong, primed-drgrpo), eval-base-primed-noise,
 * eval-primed-s0-noise, sample64-base-primed.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg, type Series } from '../train/plot.js';
import { type EvalDigest, HEADLINE_TIERS, headlineMean, type TierRow } from './r1-zero-digest.js';
import { decisionsSection, modesTable, pct, row } from './r1-zero-tables.js';

type Metrics = Record<string, number | string>[];

/** Everything the page is made from. */
export interface R1ZeroFiles {
  evals: Map<string, EvalDigest>;
  metrics: Map<string, Metrics>;
  runs: Record<
    string,
    { kind: string; seconds?: number; steps?: number; tokens?: number; made?: { commit: string; dirty: boolean }[] }
  >;
  /** Teacher-forced step accuracy of each base (scripts/r1-zero-corpus.mjs steps): base-step-accuracy[-arm].json. */
  steps: Map<string, { step: number; groups: Record<string, Record<string, StepLines>> }>;
  /** The shipped model through the chat API (src/eval/chat-api-eval.ts), when measured. */
  shipped?: { model: string; groups: Record<string, { questions: number; right: number; share: number }> };
}

/** Reads the committed files of `dir`. */
export function readR1ZeroFiles(dir: string): R1ZeroFiles {
  const evals = new Map<string, EvalDigest>(),
    metrics = new Map<string, Metrics>();
  const list = (sub: string, ext: string) =>
    existsSync(join(dir, sub))
      ? readdirSync(join(dir, sub))
          .filter((f) => f.endsWith(ext))
          .sort()
      : [];
  for (const f of list('evals', '.json'))
    evals.set(f.slice(0, -5), JSON.parse(readFileSync(join(dir, 'evals', f), 'utf8')) as EvalDigest);
  for (const f of list('metrics', '.jsonl'))
    metrics.set(
      f.slice(0, -6),
      readFileSync(join(dir, 'metrics', f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
  const runsPath = join(dir, 'runs.json');
  const runs = existsSync(runsPath) ? JSON.parse(readFileSync(runsPath, 'utf8')) : {};
  const steps: R1ZeroFiles['steps'] = new Map();
  for (const f of existsSync(dir) ? readdirSync(dir).sort() : []) {
    const m = /^base-step-accuracy(?:-(\w+))?\.json$/.exec(f);
    if (m) steps.set(m[1] ?? 'primed', JSON.parse(readFileSync(join(dir, f), 'utf8')));
  }
  const shippedPath = join(dir, 'shipped-model.json');
  const shipped = existsSync(shippedPath) ? JSON.parse(readFileSync(shippedPath, 'utf8')) : undefined;
  return { evals, metrics, runs, steps, ...(shipped ? { shipped } : {}) };
}

/** One seed's before/after figures, in the issue's summary.json shape. */
export interface SeedSummary {
  seed: number;
  pass1_before: number;
  pass1_after: number;
  length_before: number;
  length_after: number;
  false_claims_after: number;
  truncated_after: number;
  length_by_tier_after: Record<string, number>;
  length_correct_before: number;
  length_correct_after: number;
  rl_seconds?: number;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const ARMS = { primed: 'primed', unprimed: 'optimal', wrong: 'wrong', dr_grpo: 'primed-drgrpo' } as const;
const baseOf = (arm: string) => (arm === 'primed-drgrpo' ? 'primed' : arm);

const headlineOf = (d: EvalDigest, f: (t: TierRow) => number) => headlineMean(d.tiers, f);

function seedSummary(files: R1ZeroFiles, arm: string, seed: number): SeedSummary | undefined {
  const before = files.evals.get(`eval-base-${baseOf(arm)}`),
    after = files.evals.get(`eval-${arm}-s${seed}`);
  if (!before || !after) return undefined;
  const all = after.behaviours.find((g) => g.group === 'all');
  const rl = files.runs[`grpo-${arm}-s${seed}`];
  return {
    seed,
    pass1_before: before.headline.pass_at_1,
    pass1_after: after.headline.pass_at_1,
    length_before: before.headline.mean_length,
    length_after: after.headline.mean_length,
    false_claims_after: all?.falseClaimShare ?? Number.NaN,
    truncated_after: headlineOf(after, (t) => t.truncated),
    length_by_tier_after: Object.fromEntries(after.tiers.map((t) => [t.tier, t.mean_length])),
    length_correct_before: headlineOf(before, (t) => t.mean_length_correct),
    length_correct_after: headlineOf(after, (t) => t.mean_length_correct),
    ...(rl?.seconds !== undefined ? { rl_seconds: rl.seconds } : {}),
  };
}

/** summary.json: `arms.primed` and `arms.unprimed` (the optimal-path control) as the issue asks, plus the other runs. */
export function r1ZeroSummary(files: R1ZeroFiles): { arms: Record<string, SeedSummary[]> } {
  const arms: Record<string, SeedSummary[]> = {};
  for (const [key, arm] of Object.entries(ARMS))
    arms[key] = [0, 1, 2].map((s) => seedSummary(files, arm, s)).filter((x): x is SeedSummary => x !== undefined);
  return { arms };
}

/** Line counts of one kind of step (src/eval/step-accuracy.ts; files before exactSteps lack it). */
interface StepLines {
  lines: number;
  exactLines: number;
  exactSteps?: number;
}

/** One acceptance criterion, computed. */
export interface Criterion {
  id: number;
  what: string;
  value: string;
  target: string;
  /** undefined: its runs have not all finished. */
  met: boolean | undefined;
}

const num = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** The last-tenth minus first-tenth test of an RL curve. */
function curveRises(m: Metrics | undefined, key: string): boolean | undefined {
  const xs = (m ?? []).filter((r) => r.type === 'grpo').map((r) => Number(r[key]));
  if (xs.length < 10) return undefined;
  const n = Math.max(1, Math.floor(xs.length / 10));
  return mean(xs.slice(-n)) > mean(xs.slice(0, n));
}

/** The noise of pass@1: the larger difference between two sampling seeds of the same checkpoint. */
export function evalNoise(files: R1ZeroFiles): number {
  const pairs: [string, string][] = [
    ['eval-base-primed', 'eval-base-primed-noise'],
    ['eval-primed-s0', 'eval-primed-s0-noise'],
  ];
  const ds = pairs
    .map(([a, b]) => [files.evals.get(a), files.evals.get(b)] as const)
    .filter(([a, b]) => a && b)
    .map(([a, b]) => Math.abs(a!.headline.pass_at_1 - b!.headline.pass_at_1));
  return ds.length === pairs.length ? ds.reduce((a, b) => Math.max(a, b), 0) : Number.NaN;
}

/** The acceptance criteria of protocol section 8 (10 and 11 from shipped-model.json). */
export function r1ZeroCriteria(files: R1ZeroFiles): Criterion[] {
  const { arms } = r1ZeroSummary(files);
  const primed = arms.primed!,
    control = arms.unprimed!,
    wrong = arms.wrong!,
    dr = arms.dr_grpo!;
  const full = primed.length === 3;
  const gain = (xs: SeedSummary[]) => mean(xs.map((s) => s.pass1_after - s.pass1_before));
  const noise = evalNoise(files);
  const out: Criterion[] = [];
  const add = (id: number, what: string, value: string, target: string, met: boolean | undefined, ready = full) =>
    out.push({ id, what, value, target, met: ready ? met : undefined });
  const g = gain(primed),
    ratio = mean(primed.map((s) => s.pass1_after)) / mean(primed.map((s) => s.pass1_before));
  add(
    1,
    'held-out pass@1, base to after RL (primed, mean of 3 seeds); every seed above base + 2 x noise',
    `+${pct(g)} (x${num(ratio, 2)}); noise ${pct(noise)}; seeds ${primed.map((s) => pct(s.pass1_after - s.pass1_before)).join(', ')}`,
    '>= +20 points and x2; each seed > 2 x noise',
    g >= 0.2 && ratio >= 2 && primed.every((s) => s.pass1_after - s.pass1_before > 2 * noise),
    full && Number.isFinite(noise),
  );
  const lr = mean(primed.map((s) => s.length_after / s.length_before));
  const curves = [0, 1, 2].map((s) => curveRises(files.metrics.get(`grpo-primed-s${s}`), 'completion_length_mean'));
  add(
    2,
    'mean response length after / before (primed); RL length curve: last tenth above first tenth',
    `x${num(lr, 2)}; curves rise: ${curves.map((c) => (c === undefined ? 'n/a' : c ? 'yes' : 'no')).join(', ')}`,
    '>= x1.3; every seed rises',
    lr >= 1.3 && curves.every((c) => c === true),
  );
  const base = files.evals.get('eval-base-primed');
  const failed = new Set(
    (base?.problems ?? []).filter((p) => p.tier.startsWith('countdown') && p.correct === 0).map((p) => p.key),
  );
  const candidates = (d: EvalDigest | undefined) =>
    mean((d?.problems ?? []).filter((p) => failed.has(p.key)).map((p) => p.mean_distinct_candidates));
  const cb = candidates(base),
    ca = mean([0, 1, 2].map((s) => candidates(files.evals.get(`eval-primed-s${s}`))));
  add(
    3,
    `distinct candidates per response on the ${failed.size} countdown problems the base got wrong in all samples`,
    `${num(cb, 2)} -> ${num(ca, 2)}`,
    'rises',
    ca > cb,
  );
  add(
    4,
    'false success claims (share of claims) and truncated responses after RL, every primed seed',
    `claims ${primed.map((s) => pct(s.false_claims_after)).join(', ')}; truncated ${primed.map((s) => pct(s.truncated_after)).join(', ')}`,
    '< 5% each',
    primed.every((s) => s.false_claims_after < 0.05 && s.truncated_after < 0.05),
  );
  const lc = mean(primed.map((s) => s.length_correct_after - s.length_correct_before));
  add(5, 'mean length of correct responses, after minus before (primed)', `${num(lc)} tokens`, '> 0', lc > 0);
  const drRatio = dr[0] ? dr[0].length_after / dr[0].length_before : Number.NaN;
  const drCurve = curveRises(files.metrics.get('grpo-primed-drgrpo-s0'), 'completion_length_mean');
  add(
    6,
    'the length rise with the dr_grpo loss (one seed)',
    `x${num(drRatio, 2)}; curve rises: ${drCurve === undefined ? 'n/a' : drCurve ? 'yes' : 'no'}`,
    '>= x1.3 and rises',
    drRatio >= 1.3 && drCurve === true,
    dr.length === 1,
  );
  const s64 = files.evals.get('sample64-base-primed');
  const never = new Set((s64?.problems ?? []).filter((p) => p.correct === 0).map((p) => p.key));
  const solved = [0, 1, 2].map((s) => {
    const ps = (files.evals.get(`eval-primed-s${s}`)?.problems ?? []).filter((p) => never.has(p.key));
    return ps.length ? ps.filter((p) => p.correct > 0).length / ps.length : Number.NaN;
  });
  add(
    7,
    `of the ${never.size} countdown problems the base never solved in 64 samples, the share solved at pass@8 after RL`,
    `${pct(mean(solved))} (seeds ${solved.map(pct).join(', ')})`,
    '>= 10%',
    mean(solved) >= 0.1,
    full && s64 !== undefined,
  );
  const gap = (d: EvalDigest | undefined) => {
    const t = (n: string) => d?.tiers.find((x) => x.tier === n)?.mean_length ?? Number.NaN;
    return t('countdown/5') - t('countdown/4');
  };
  const gb = gap(base),
    ga = mean([0, 1, 2].map((s) => gap(files.evals.get(`eval-primed-s${s}`))));
  add(
    8,
    'length on 4-number minus 3-number countdown, base and after RL',
    `${num(gb)} -> ${num(ga)} tokens`,
    'after > 0 and after > base',
    ga > 0 && ga > gb,
  );
  const gc = gain(control);
  const spread = (xs: SeedSummary[]) => {
    const d = xs.map((s) => s.pass1_after - s.pass1_before);
    return (
      `${pct(d.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY))} to ` +
      `${pct(d.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY))}`
    );
  };
  add(
    9,
    'ablation: pass@1 gain of the optimal-path control vs the primed base (mean, min to max over seeds); ' +
      'beside it the wrong-answer arm (one seed, not part of the test)',
    `control ${pct(gc)} (${spread(control)}); primed ${pct(g)} (${spread(primed)}); ` +
      `wrong-answer ${wrong.length ? `${pct(gain(wrong))} (seed 0)` : 'n/a'}`,
    'control < half of primed',
    gc < g / 2,
    full && control.length === 3,
  );
  const sg = (g: string) => files.shipped?.groups[g]?.share ?? Number.NaN;
  add(
    10,
    `the shipped model on fresh 3-number countdown problems through the chat API, temperature 0 ` +
      `(${files.shipped?.groups['countdown fresh']?.questions ?? 0} problems)`,
    pct(sg('countdown fresh')),
    '>= 50%',
    sg('countdown fresh') >= 0.5,
    files.shipped !== undefined,
  );
  add(
    11,
    'the shipped model through the chat API: bare arithmetic (add, sub, mul) and honest off-task replies',
    `add ${pct(sg('arithmetic add'))}, sub ${pct(sg('arithmetic sub'))}, mul ${pct(sg('arithmetic mul'))}; off-task ${pct(sg('off-task'))}`,
    'add, sub >= 95%; mul >= 80%; off-task >= 90%',
    sg('arithmetic add') >= 0.95 &&
      sg('arithmetic sub') >= 0.95 &&
      sg('arithmetic mul') >= 0.8 &&
      sg('off-task') >= 0.9,
    files.shipped !== undefined,
  );
  const timed = Object.entries(files.runs).filter(([, r]) => r.kind === 'pretrain' || r.kind === 'grpo');
  const longest = timed.reduce((a, [, r]) => Math.max(a, r.seconds ?? 0), 0);
  add(
    12,
    `time of each base pretraining and RL run (${timed.length} so far)`,
    `longest ${num(longest / 60)} min`,
    '<= 60 min each',
    longest <= 3600,
    timed.length > 0,
  );
  return out;
}

/** Curves over RL steps: one metric, one series per run. */
function curve(files: R1ZeroFiles, title: string, key: string, yLabel: string, runs: string[]): string {
  const series: Series[] = runs
    .filter((r) => files.metrics.has(r))
    .map((r) => ({
      name: r.replace(/^grpo-/, ''),
      points: files.metrics
        .get(r)!
        .filter((x) => x.type === 'grpo' && Number.isFinite(Number(x[key])))
        .map((x) => [Number(x.step), Number(x[key])] as [number, number]),
    }));
  return lineChartSvg({ title, xLabel: 'GRPO step', yLabel, series });
}

/** The charts of the page, by file name. */
export function r1ZeroCurves(files: R1ZeroFiles): Map<string, string> {
  const rl = [...files.metrics.keys()].filter((k) => k.startsWith('grpo-'));
  const charts = new Map<string, string>();
  charts.set('curve-accuracy.svg', curve(files, 'Training accuracy', 'accuracy', 'accuracy', rl));
  charts.set('curve-length.svg', curve(files, 'Mean response length', 'completion_length_mean', 'tokens', rl));
  for (const tier of HEADLINE_TIERS)
    charts.set(
      `curve-length-${tier.replace('/', '-')}.svg`,
      curve(files, `Mean response length, ${tier}`, `tiers/${tier}/length`, 'tokens', rl),
    );
  charts.set(
    'curve-verifications.svg',
    curve(files, 'Verifications per response', 'behaviours/verifications', 'checks', rl),
  );
  charts.set(
    'curve-false-claims.svg',
    curve(files, 'False success claims (share of claims)', 'behaviours/false_claim_share', 'share', rl),
  );
  charts.set('curve-truncated.svg', curve(files, 'Truncated responses', 'truncated_share', 'share', rl));
  return charts;
}

/** The results page (markdown) from the committed files. */
export function r1ZeroPage(files: R1ZeroFiles, charts: readonly string[]): string {
  const L: string[] = [
    '# R1-Zero on 2 cores: results (issue 14)',
    '',
    'Generated by `deepseek-ts r1-zero-results` from the files beside this page (evals/, metrics/,',
    'runs.json); the protocol, fixed before the runs, is [protocol.md](protocol.md). Pass@1 is the mean',
    'over k samples at temperature 0.6; "headline" figures are the mean of the three reasoning tiers',
    '(countdown with 3 numbers = countdown/4, with 4 numbers = countdown/5, arithmetic/4), each weighted',
    'equally. Stages still to run are marked n/a.',
    '',
    '## Acceptance',
    '',
    row(['#', 'criterion', 'value', 'target', 'met']),
    row(['---', '---', '---', '---', '---']),
    ...r1ZeroCriteria(files).map((c) =>
      row([c.id, c.what, c.value, c.target, c.met === undefined ? 'not yet run' : c.met ? 'yes' : '**no**']),
    ),
    '',
    '## Evaluations',
    '',
    row([
      'stage',
      'model',
      'k',
      'pass@1',
      'cons@k',
      'greedy',
      'length',
      ...HEADLINE_TIERS.map((t) => `pass@1 ${t}`),
      'truncated',
      'off-task right',
    ]),
    row(Array(12).fill('---')),
  ];
  for (const [name, d] of files.evals) {
    const tier = (t: string) => d.tiers.find((x) => x.tier === t);
    const off = d.rows.find((r) => r.task === 'off-task');
    L.push(
      row([
        name,
        d.label,
        d.settings.k,
        pct(d.headline.pass_at_1),
        pct(d.headline.cons_at_k),
        pct(d.headline.greedy_accuracy),
        num(d.headline.mean_length, 0),
        ...HEADLINE_TIERS.map((t) => pct(tier(t)?.pass_at_1 ?? Number.NaN)),
        pct(headlineOf(d, (t) => t.truncated)),
        off ? pct(off.pass_at_1) : '-',
      ]),
    );
  }
  L.push(
    '',
    '## Runs',
    '',
    row(['run', 'kind', 'steps', 'minutes', 'commit']),
    row(['---', '---', '---', '---', '---']),
  );
  for (const [name, r] of Object.entries(files.runs))
    L.push(
      row([
        name,
        r.kind,
        r.steps ?? '',
        num((r.seconds ?? Number.NaN) / 60),
        (r.made ?? []).map((m) => `${m.commit.slice(0, 10)}${m.dirty ? ' (dirty)' : ''}`).join(', '),
      ]),
    );
  for (const [arm, st] of files.steps) {
    L.push(
      '',
      `## Step accuracy of the ${arm} base (teacher-forced, held-out traces, step ${st.step})`,
      '',
      'Share of step lines with every token predicted right ("line"), and with every computed token right',
      '("step": all but the line\'s first token, which picks the next kind of step, a branch between solver',
      'modes; on a countdown candidate the tokens after its "=", since which operands to try is the',
      "search's choice), per operation and operand digits or countdown tier; the worst line kind by step",
      'accuracy beside it (src/eval/step-accuracy.ts). Target: 99% per operation.',
      '',
      row(['group', 'lines', 'line accuracy', 'step accuracy', 'worst kind (step)']),
      row(['---', '---', '---', '---', '---']),
    );
    const stepRate = (c: StepLines) => (c.exactSteps === undefined ? Number.NaN : c.exactSteps / c.lines);
    for (const [g, kinds] of Object.entries(st.groups).sort(([a], [b]) => a.localeCompare(b))) {
      const ks = Object.entries(kinds).filter(([k]) => k !== 'answer');
      const lines = ks.reduce((a, [, c]) => a + c.lines, 0),
        exact = ks.reduce((a, [, c]) => a + c.exactLines, 0),
        steps = ks.reduce((a, [, c]) => a + (c.exactSteps ?? Number.NaN), 0);
      const worst = ks.filter(([, c]) => c.lines > 0).sort(([, a], [, b]) => stepRate(a) - stepRate(b))[0];
      const worstText = worst && Number.isFinite(stepRate(worst[1])) ? `${worst[0]} ${pct(stepRate(worst[1]))}` : '-';
      L.push(row([g, lines, pct(exact / lines), Number.isFinite(steps) ? pct(steps / lines) : '-', worstText]));
    }
  }
  for (const line of decisionsSection(files)) L.push(line);
  for (const name of ['eval-base-primed', 'eval-primed-s0', 'eval-base-optimal', 'eval-optimal-s0']) {
    const d = files.evals.get(name);
    if (!d) continue;
    L.push(
      '',
      `## Solver modes: ${name}`,
      '',
      'Share of sampled responses in each mode, and the accuracy within it (src/eval/behaviours.ts).',
      '',
    );
    for (const line of modesTable(d)) L.push(line);
  }
  if (charts.length) {
    L.push('', '## Curves over RL steps', '');
    for (const c of charts) L.push(`![${c}](${c})`);
  }
  return `${L.join('\n')}\n`;
}
