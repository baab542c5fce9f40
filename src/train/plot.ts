/**
 * SVG line charts of training metrics, written by hand (no plotting dependency): axes with
 * "nice" ticks, one polyline per series, a legend. `metricsCharts` turns one metrics.jsonl into
 * the standard charts (loss, learning rate, MaxVio, MTP loss); `compareChart` overlays one metric
 * of several runs (the experiments' side-by-side figures).
 */
import type { MetricsRecord } from './metrics.js';

export interface Series {
  name: string;
  points: [number, number][];
}
export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logY?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 640,
  H = 400,
  L = 70,
  R = 150,
  T = 40,
  B = 50;

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) * 0.1 || 1;
    lo -= d;
    hi += d;
  }
  const raw = (hi - lo) / n,
    mag = 10 ** Math.floor(Math.log10(raw)),
    f = raw / mag;
  const step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const label = (v: number) =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4)));

/** One line chart as a standalone SVG document. */
export function lineChartSvg(spec: ChartSpec): string {
  const ty = (y: number) => (spec.logY ? Math.log10(Math.max(y, 1e-12)) : y);
  const pts = spec.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(ty(y)));
  const xs = pts.map((p) => p[0]),
    ys = pts.map((p) => ty(p[1]));
  const xt = niceTicks(
    xs.reduce((a, b) => Math.min(a, b), 0),
    xs.length ? xs.reduce((a, b) => Math.max(a, b), -Infinity) : 1,
  );
  const yt = niceTicks(
    ys.length ? ys.reduce((a, b) => Math.min(a, b), Infinity) : 0,
    ys.length ? ys.reduce((a, b) => Math.max(a, b), -Infinity) : 1,
  );
  const [x0, x1, y0, y1] = [xt[0]!, xt[xt.length - 1]!, yt[0]!, yt[yt.length - 1]!];
  const px = (x: number) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (y: number) => H - B - ((ty(y) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2 - R / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`,
  ];
  for (const v of xt)
    o.push(
      `<line x1="${px(v)}" y1="${T}" x2="${px(v)}" y2="${H - B}" stroke="#eee"/><text x="${px(v)}" ` +
        `y="${H - B + 16}" text-anchor="middle">${label(v)}</text>`,
    );
  for (const v of yt) {
    const y = H - B - ((v - y0) / (y1 - y0 || 1)) * (H - T - B);
    o.push(
      `<line x1="${L}" y1="${y}" x2="${W - R}" y2="${y}" stroke="#eee"/><text x="${L - 6}" y="${y + 4}" ` +
        `text-anchor="end">${label(spec.logY ? 10 ** v : v)}</text>`,
    );
  }
  o.push(
    `<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`,
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text x="16" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 16 ${(T + H - B) / 2})">${esc(spec.yLabel)}</text>`,
  );
  spec.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    const p = s.points
      .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(ty(y)))
      .map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`);
    if (p.length === 1) o.push(`<circle cx="${p[0]!.split(',')[0]}" cy="${p[0]!.split(',')[1]}" r="3" fill="${c}"/>`);
    else if (p.length > 1) o.push(`<polyline fill="none" stroke="${c}" stroke-width="1.6" points="${p.join(' ')}"/>`);
    o.push(
      `<line x1="${W - R + 10}" y1="${T + 10 + i * 18}" x2="${W - R + 28}" y2="${T + 10 + i * 18}" ` +
        `stroke="${c}" stroke-width="3"/><text x="${W - R + 32}" y="${T + 14 + i * 18}">${esc(s.name)}</text>`,
    );
  });
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}

/** Points (step, record[key]) of the records of `type` that have a numeric `key`. */
export function seriesOf(records: readonly MetricsRecord[], type: string, key: string, name = key): Series {
  return {
    name,
    points: records.filter((r) => r.type === type && typeof r[key] === 'number').map((r) => [r.step, r[key] as number]),
  };
}

/** The standard charts of one run: file stem -> SVG. Charts with no data are left out. */
export function metricsCharts(records: readonly MetricsRecord[], run = 'run'): Map<string, string> {
  const out = new Map<string, string>();
  const add = (stem: string, spec: ChartSpec) => {
    if (spec.series.some((s) => s.points.length > 0))
      out.set(stem, lineChartSvg({ ...spec, series: spec.series.filter((s) => s.points.length > 0) }));
  };
  add('loss', {
    title: `${run}: loss`,
    xLabel: 'step',
    yLabel: 'cross-entropy (nats)',
    series: [
      seriesOf(records, 'train', 'loss', 'train total'),
      seriesOf(records, 'train', 'lm_loss', 'train main head'),
      seriesOf(records, 'eval', 'val_loss', 'held-out main head'),
    ],
  });
  add('lr', {
    title: `${run}: learning rate`,
    xLabel: 'step',
    yLabel: 'learning rate',
    series: [seriesOf(records, 'train', 'lr')],
  });
  const layers = records
    .map((r) => (Array.isArray(r.maxvio) ? r.maxvio.length : 0))
    .reduce((a, b) => Math.max(a, b), 0);
  const perLayer: Series[] = Array.from({ length: layers }, (_, l) => ({
    name: `MoE layer ${l + 1}`,
    points: records
      .filter((r) => r.type === 'train' && Array.isArray(r.maxvio))
      .map((r) => [r.step, (r.maxvio as number[])[l]!] as [number, number]),
  }));
  add('maxvio', {
    title: `${run}: MaxVio (batch)`,
    xLabel: 'step',
    yLabel: 'max load / mean - 1',
    series: [
      seriesOf(records, 'train', 'maxvio_mean', 'mean over layers'),
      ...perLayer,
      seriesOf(records, 'eval', 'val_maxvio_mean', 'held-out mean'),
    ],
  });
  add('mtp', {
    title: `${run}: MTP loss`,
    xLabel: 'step',
    yLabel: '(lambda / D) sum_k CE_k',
    series: [seriesOf(records, 'train', 'mtp_loss', 'train'), seriesOf(records, 'eval', 'val_mtp_loss', 'held-out')],
  });
  return out;
}

/** One metric of several runs overlaid. */
export function compareChart(
  runs: readonly { name: string; records: readonly MetricsRecord[] }[],
  type: string,
  key: string,
  title: string,
  yLabel: string,
  logY = false,
): string {
  return lineChartSvg({
    title,
    xLabel: 'step',
    yLabel,
    logY,
    series: runs.map((r) => seriesOf(r.records, type, key, r.name)),
  });
}
