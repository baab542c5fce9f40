/**
 * Grouped bar charts as standalone SVG (no plotting dependency), the companion of the line charts
 * of src/train/plot.ts: one group per category (a checkpoint), one bar per series (a metric), a
 * value label on each bar, and a legend. Values are fractions shown as percentages when `percent`.
 */

export interface BarSpec {
  title: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  yLabel: string;
  percent?: boolean;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The chart as an SVG document. Non-finite values draw no bar and the label "n/a". */
export function barChartSvg(spec: BarSpec): string {
  const L = 60,
    R = 160,
    T = 40,
    B = 90,
    group = Math.max(60, spec.series.length * 22 + 16);
  const W = L + R + group * spec.categories.length,
    H = 380,
    plotH = H - T - B;
  const finite = spec.series.flatMap((s) => s.values).filter(Number.isFinite);
  const top = spec.percent
    ? Math.max(0.1, Math.min(1, Math.ceil(finite.reduce((a, b) => Math.max(a, b), 0) * 10) / 10))
    : finite.reduce((a, b) => Math.max(a, b), 1e-9) * 1.1;
  const y = (v: number) => T + plotH - (Math.max(0, v) / top) * plotH;
  const fmt = (v: number) =>
    !Number.isFinite(v) ? 'n/a' : spec.percent ? `${(100 * v).toFixed(0)}%` : String(Number(v.toPrecision(3)));
  const o: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${(W - R) / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const v = (top * i) / 5;
    o.push(
      `<line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#eee"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  o.push(
    `<text x="14" y="${T + plotH / 2}" text-anchor="middle" transform="rotate(-90 14 ${T + plotH / 2})">${esc(spec.yLabel)}</text>`,
  );
  spec.categories.forEach((c, ci) => {
    const x0 = L + ci * group + 8;
    spec.series.forEach((s, si) => {
      const v = s.values[ci] ?? NaN,
        x = x0 + si * 22;
      if (Number.isFinite(v))
        o.push(
          `<rect x="${x}" y="${y(v)}" width="18" height="${T + plotH - y(v)}" fill="${COLORS[si % COLORS.length]}"/>`,
        );
      o.push(
        `<text x="${x + 9}" y="${y(Number.isFinite(v) ? v : 0) - 3}" text-anchor="middle" font-size="9">${fmt(v)}</text>`,
      );
    });
    const cx = x0 + (spec.series.length * 22) / 2;
    o.push(
      `<text x="${cx}" y="${T + plotH + 14}" text-anchor="end" transform="rotate(-30 ${cx} ${T + plotH + 14})">${esc(c)}</text>`,
    );
  });
  o.push(`<line x1="${L}" y1="${T + plotH}" x2="${W - R}" y2="${T + plotH}" stroke="#333"/>`);
  spec.series.forEach((s, i) =>
    o.push(
      `<rect x="${W - R + 12}" y="${T + 4 + i * 18}" width="14" height="10" fill="${COLORS[i % COLORS.length]}"/><text ` +
        `x="${W - R + 30}" y="${T + 13 + i * 18}">${esc(s.name)}</text>`,
    ),
  );
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
