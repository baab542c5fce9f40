#!/usr/bin/env node
/**
 * Where the final check of a countdown response goes wrong, when its success claim is false and the
 * search behind it was sound (issue 14): the count of each `checkFault` (src/eval/check-fault.ts,
 * which defines the kinds) over one evaluation, with up to 3 example check lines per kind.
 * Reads the full eval JSON that `deepseek-ts eval` writes (with responses), over the compiled
 * modules (run `npm run build` first), prints JSON.
 * Usage: node scripts/r1-zero-check-faults.mjs <eval.json> [--out file.json]
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { countBehaviours } from '../dist/src/eval/behaviours.js';
import { finalCheck } from '../dist/src/eval/check-fault.js';

const [file, ...rest] = process.argv.slice(2);
if (!file) {
  console.error('usage: r1-zero-check-faults.mjs <eval.json> [--out file.json]');
  process.exit(2);
}
const outAt = rest.indexOf('--out');
const out = outAt >= 0 ? rest[outAt + 1] : undefined;
const evalJson = JSON.parse(readFileSync(file, 'utf8'));
if (!Array.isArray(evalJson.results)) {
  console.error(`${file}: no "results" with responses (a summarised eval cannot be read; give the full one)`);
  process.exit(2);
}

const kinds = {};
const examples = {};
let falseClaims = 0;
let answerCause = 0;
for (const r of evalJson.results) {
  if (r.task !== 'countdown') continue;
  const m = /^countdown:([\d,]+)->(\d+)$/.exec(r.key);
  if (!m) continue;
  const numbers = m[1].split(',').map(Number);
  const target = Number(m[2]);
  const problem = { task: 'countdown', key: r.key, prompt: r.prompt, data: { numbers, target }, answer: '' };
  for (const response of r.responses) {
    const b = countBehaviours(problem, response);
    if (!b.falseClaim) continue;
    falseClaims++;
    if (b.checkFault === null) continue;
    answerCause++;
    const kind = b.checkFault;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const line = finalCheck(response);
    if ((examples[kind] ??= []).length < 3 && line) examples[kind].push(`${r.key}: ${line}`);
  }
}
const report = {
  eval: evalJson.label,
  model: evalJson.model,
  countdown_false_claims: falseClaims,
  answer_cause: answerCause,
  check_faults: Object.fromEntries(Object.entries(kinds).sort((a, b) => b[1] - a[1])),
  examples,
};
const text = `${JSON.stringify(report, null, 2)}\n`;
if (out) {
  writeFileSync(`${out}.tmp`, text);
  renameSync(`${out}.tmp`, out);
}
process.stdout.write(text);
