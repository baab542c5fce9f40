#!/usr/bin/env node
/**
 * The table of issue 16's speed acceptance, generated from the JSON lines that
 * scripts/bench-r1-distill.sh keeps under docs/benchmarks/<date>/r1-distill-1.5b/ (one file per
 * case), so that docs/benchmarks.md quotes no typed figure. Each row is one case of one run: ours,
 * llama.cpp measured in the same process on the same GGUF and threads, the ratio and its target.
 * Repeats of a decode case (`--repeat N`: repeats/<case>-2.json, -3, ...) add their ratios to the
 * row, and its decode target is then judged on the median ratio of all its runs.
 *   node scripts/bench-r1-distill-table.mjs docs/benchmarks/<date>/r1-distill-1.5b [--write]
 * --write replaces the block between the markers in docs/benchmarks.md (temp file + rename).
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const START = '<!-- r1-distill-table:start -->';
const END = '<!-- r1-distill-table:end -->';

/** The cases in the script's order, with the acceptance each one answers. */
const DENSE = [
  { name: 'bf16', what: 'BF16 folder' },
  { name: 'q8_0-vs-llama', what: 'Q8_0 GGUF', decode: 1.0 },
  { name: 'q4_k-vs-llama', what: 'Q4_K GGUF', decode: 0.8 },
  { name: 'q8_0-prefill512-vs-llama', what: 'Q8_0 GGUF, 512-token prompt', prefill: 0.5 },
  { name: 'bf16-quantize-q4_0', what: 'BF16 quantized to Q4_0 at load' },
];
const V3 = [
  { name: 'v3-bench-small-prompt32-vs-llama', what: 'V3 bench-small, F32 GGUF, prompt 32' },
  { name: 'v3-bench-small-prompt2048-vs-llama', what: 'V3 bench-small, F32 GGUF, prompt 2,048' },
];
const RSS_TARGET = 1.3;
const V3_TARGET = 0.8;

const f1 = (x) => (x === undefined ? '-' : x.toFixed(1));
const f2 = (x) => (x === undefined ? '-' : x.toFixed(2));
const met = (ok) => (ok ? 'met' : 'missed');

function read(dir, name) {
  const p = join(dir, `${name}.json`);
  if (!existsSync(p)) return undefined;
  const lines = readFileSync(p, 'utf8').trim().split('\n');
  try {
    return JSON.parse(lines[lines.length - 1]);
  } catch (e) {
    throw new Error(`${p}: the last line is not JSON (${e.message})`);
  }
}

/** The decode ratios of a case's repeats (repeats/<name>-<i>.json, i = 2, 3, ...). */
function repeats(dir, name) {
  const out = [];
  for (let i = 2; ; i++) {
    const r = read(join(dir, 'repeats'), `${name}-${i}`);
    if (!r) return out;
    out.push(r.ratio);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b),
    h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

export function table(dir) {
  const out = [
    `Cases of \`bash scripts/bench-r1-distill.sh\` in ${dir} (batch 1, ${threadsOf(dir)} threads).`,
    '',
    '| case | ours tokens/s | llama.cpp tokens/s | ratio | prefill ours / llama.cpp tokens/s (ratio) | ' +
      'ours peak RSS MB | llama.cpp RSS MB (ratio) | weight GB/s ours / llama.cpp / probe | target |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const c of DENSE) {
    const r = read(dir, c.name);
    if (!r) {
      out.push(`| ${c.what} | not run | | | | | | | |`);
      continue;
    }
    const l = r.llama;
    const rssRatio = l ? r.peak_rss_mb / l.rss_delta_mb : undefined;
    const targets = [];
    const runs = [r.ratio, ...repeats(dir, c.name)];
    const ratio =
      runs.length > 1 ? `${f2(r.ratio)} (runs ${runs.map(f2).join(', ')}; median ${f2(median(runs))})` : f2(r.ratio);
    if (c.decode !== undefined)
      targets.push(`decode >= ${c.decode}${runs.length > 1 ? ' (median)' : ''}: ${met(median(runs) >= c.decode)}`);
    if (c.prefill !== undefined) targets.push(`prefill >= ${c.prefill}: ${met(r.prefill_ratio >= c.prefill)}`);
    if (rssRatio !== undefined) targets.push(`RSS <= ${RSS_TARGET}x: ${met(rssRatio <= RSS_TARGET)}`);
    out.push(
      `| ${c.what} | ${f1(r.tokens_per_s)} | ${f1(l?.tokens_per_s)} | ${ratio} | ` +
        `${f1(r.prefill_tokens_per_s)} / ${f1(l?.prefill_tokens_per_s)} (${f2(r.prefill_ratio)}) | ` +
        `${f1(r.peak_rss_mb)} | ${f1(l?.rss_delta_mb)} (${f2(rssRatio)}) | ` +
        `${f2(r.weight_gb_per_s)} / ${f2(l?.weight_gb_per_s)} / ${f2(r.bandwidth_probe_gb_per_s)} | ${targets.join('; ') || '-'} |`,
    );
  }
  out.push('', '| case | ours tokens/s | llama.cpp tokens/s | ratio | max \\|log p difference\\| | target |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const c of V3) {
    const r = read(dir, c.name);
    const b = r?.bench?.[0];
    if (!b) {
      out.push(`| ${c.what} | not run | | | | |`);
      continue;
    }
    out.push(
      `| ${c.what} | ${f1(b.tokens_per_s)} | ${f1(b.llama_tokens_per_s)} | ${f2(b.ratio)} | ` +
        `${r.max_logprob_diff.toExponential(1)} | >= ${V3_TARGET}: ${met(b.ratio >= V3_TARGET)} |`,
    );
  }
  return out.join('\n');
}

function threadsOf(dir) {
  for (const c of [...DENSE, ...V3]) {
    const r = read(dir, c.name);
    if (r?.threads !== undefined) return r.threads;
  }
  return '?';
}

const [dir, flag] = process.argv.slice(2);
if (!dir || !existsSync(dir)) {
  process.stderr.write(
    'usage: node scripts/bench-r1-distill-table.mjs docs/benchmarks/<date>/r1-distill-1.5b [--write]\n',
  );
  process.exit(2);
}
const md = table(dir);
if (flag !== '--write') {
  process.stdout.write(`${md}\n`);
} else {
  const page = 'docs/benchmarks.md';
  const text = readFileSync(page, 'utf8');
  const a = text.indexOf(START),
    b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${page}: no ${START} ... ${END} block to replace`);
  const next = `${text.slice(0, a + START.length)}\n${md}\n${text.slice(b)}`;
  writeFileSync(`${page}.tmp`, next);
  renameSync(`${page}.tmp`, page);
  process.stdout.write(`wrote the table of ${dir} into ${page}\n`);
}
