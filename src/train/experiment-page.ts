/**
 * The tables of docs/results/README.md, generated from the committed results.json of each
 * experiment (results are generated, never typed). Each table sits between
 * `<!-- results:<name> -->` and `<!-- /results:<name> -->`; `deepseek-ts experiment page` rewrites
 * them and a test checks that the committed page equals what this code makes of the committed files.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { EXPERIMENTS, type ExperimentResult, heldoutRelDiff, type relativeCurveDiff } from './experiments.js';

type Arm = ExperimentResult['arms'][number];

const f4 = (x: unknown) => (typeof x === 'number' ? x.toFixed(4) : '-');
const f3 = (x: unknown) => (typeof x === 'number' ? x.toFixed(3) : '-');
const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** `k=v` pairs of an arm's overrides, as the page shows its settings. */
function settings(arm: Arm): string {
  return Object.entries(arm.overrides)
    .map(([k, v]) => `${k} ${String(v)}`)
    .join(', ');
}

/** Marks the best value of a column in bold (`better`: which way is better). */
function column(arms: readonly Arm[], key: string, fmt: (x: unknown) => string, better: 'min' | 'max'): string[] {
  const vals = arms.map((a) => a.final[key]);
  const nums = vals.filter((v): v is number => typeof v === 'number');
  const best =
    nums.length > 1 ? nums.reduce((a, b) => (better === 'min' ? Math.min(a, b) : Math.max(a, b))) : undefined;
  return vals.map((v) => (v === best ? `**${fmt(v)}**` : fmt(v)));
}

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Where the numbers came from: the results file, its command and its commit. */
function source(name: string, r: ExperimentResult): string {
  const p = r.provenance;
  if (!p) return `From \`${name}/results.json\` (written before results recorded their commit and command).`;
  const commit = p.commit === 'unknown' ? 'an unknown commit' : `commit \`${p.commit.slice(0, 10)}\``;
  return `From \`${name}/results.json\`: \`${p.command}\` at ${commit}${p.dirty ? ' (with uncommitted changes)' : ''}.`;
}

/** The markdown block for one experiment's result. */
export function experimentBlock(r: ExperimentResult): string {
  const name = r.experiment;
  const steps = r.base.max_steps;
  if (name === 'fp8') {
    const [a, b] = r.arms as [Arm, Arm];
    const curve = (r.summary.train_loss_curve ?? r.summary) as ReturnType<typeof relativeCurveDiff>;
    const rows = [
      [
        `final held-out loss (step ${String(a.final.step)}): fp32 ${f4(a.final.val_loss)}, fp8 ${f4(b.final.val_loss)}`,
        `**${pct(heldoutRelDiff(a.final, b.final))}**`,
      ],
      [`training loss, last logged step`, pct(curve.final_rel_diff)],
      [`training loss, mean over ${curve.points} logged steps`, pct(curve.mean_rel_diff)],
      [`training loss, largest along the run`, pct(curve.max_rel_diff)],
    ];
    return `${table(['fp8 vs fp32', 'relative difference'], rows)}\n\n${source(name, r)}`;
  }
  const arms = r.arms;
  const header = ['arm', 'settings', 'held-out loss', 'held-out next-token accuracy'];
  const cols = [column(arms, 'val_loss', f4, 'min'), column(arms, 'val_accuracy', f4, 'max')];
  if (name === 'balance') {
    header.push('held-out MaxVio (mean of the MoE layers)');
    cols.push(column(arms, 'val_maxvio_mean', f3, 'min'));
  }
  const rows = arms.map((arm, i) => [arm.name, settings(arm), ...cols.map((c) => c[i]!)]);
  return `${table(header, rows)}\n\nAfter ${String(steps)} steps. ${source(name, r)}`;
}

const open = (name: string) => `<!-- results:${name} -->`;
const close = (name: string) => `<!-- /results:${name} -->`;

/** The page with every marked block replaced by what the results under `resultsDir` give. */
export function renderPage(page: string, resultsDir: string): string {
  let out = page;
  for (const name of Object.keys(EXPERIMENTS)) {
    const a = out.indexOf(open(name));
    if (a < 0) continue;
    const b = out.indexOf(close(name), a);
    if (b < 0) throw new Error(`results page: ${open(name)} has no ${close(name)}`);
    const file = join(resultsDir, name, 'results.json');
    if (!existsSync(file)) throw new Error(`results page: ${file} is missing for the ${name} table`);
    const r = JSON.parse(readFileSync(file, 'utf8')) as ExperimentResult;
    out = `${out.slice(0, a)}${open(name)}\n${experimentBlock(r)}\n${out.slice(b)}`;
  }
  return out;
}

/** Rewrites `<resultsDir>/README.md` in place (when it exists); returns whether it changed. */
export async function updateResultsPage(resultsDir: string): Promise<boolean> {
  const path = join(resultsDir, 'README.md');
  if (!existsSync(path)) return false;
  const before = readFileSync(path, 'utf8');
  const after = renderPage(before, resultsDir);
  if (after !== before) await writeFileAtomic(path, Buffer.from(after));
  return after !== before;
}
