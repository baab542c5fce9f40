#!/usr/bin/env node
/**
 * Where the final check of a countdown response goes wrong, when its success claim is false and the
 * search behind it was sound (issue 14; `falseClaimCause` 'answer', src/eval/claim-cause.ts).
 *
 * The check writes the solution back from the step claimed equal, one made number at a time
 * replaced by the step that made it (src/tasks/countdown-search.ts, `Steps.chain`). Two grammars:
 * - iteration 6: "Check: 45 = 60 - 15 = (99 - 39) - 15 = ((16 + 83) - 39) - 15. Correct.";
 * - iteration 7, each replaced number named with its step first:
 *   "Check: 45 = 60 - 15, 60 = 99 - 39: (99 - 39) - 15, 99 = 16 + 83: ((16 + 83) - 39) - 15. Correct."
 * Each term should keep the target's value. The first term that does not is the fault, and its kind
 * says how the replacement went wrong:
 * - `first term`: the step claimed equal is written wrong;
 * - `wrong slot`: the step put in makes another number of the term before, not the one it replaced;
 * - `wrong step`: the step put in makes none of the term's numbers;
 * - `named step wrong` (iteration 7): the named step does not make the number it names;
 * - `named elsewhere` (iteration 7): a right named step, put in for a number other than the named one;
 * - `term rewritten`: more or other than one number changed between the two terms;
 * - `answer differs`: every term keeps the target, the answer is not the last term;
 * - `board`: every term keeps the target and the answer is the last term, which does not use the
 *   board's numbers once each;
 * - `no check`: the response has no check line;
 * - `not false`: none of these (the claim is false for a reason this reading does not see).
 * Reads the full eval JSON that `deepseek-ts eval` writes (with responses), prints JSON.
 * Usage: node scripts/r1-zero-check-faults.mjs <eval.json> [--out file.json]
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { countBehaviours } from '../dist/src/eval/behaviours.js';

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

/** Value of an expression of integers, + - * / and parentheses (NaN when it is not one). */
function value(expr) {
  if (!/^[\d\s()+\-*/]+$/.test(expr)) return Number.NaN;
  try {
    return Function(`"use strict"; return (${expr});`)();
  } catch {
    return Number.NaN;
  }
}
const numbersOf = (expr) => (expr.match(/\d+/g) ?? []).map(Number);
const tokens = (expr) => expr.match(/\d+|[()+\-*/]/g) ?? [];
/**
 * The one step "(a op b)" of `cur` that stands where `prev` had a single number, with that number
 * and the step's value; null when `cur` is not `prev` with one number replaced by a step.
 */
function replacement(prev, cur) {
  const before = tokens(prev);
  for (const m of cur.matchAll(/\((\d+ [-+*/] \d+)\)/g)) {
    const v = value(m[1]);
    const collapsed = tokens(`${cur.slice(0, m.index)}${v}${cur.slice(m.index + m[0].length)}`);
    if (collapsed.length !== before.length) continue;
    const diff = collapsed.flatMap((t, i) => (t !== before[i] ? [i] : []));
    const at = tokens(cur.slice(0, m.index)).length;
    if (diff.length === 1 && diff[0] === at && /^\d+$/.test(before[at]))
      return { replaced: Number(before[at]), value: v };
  }
  return null;
}

/** The check line's terms, each with the number named and its step (iteration 7) or none. */
function readCheck(line) {
  const body = line.replace(/^Check: /, '').replace(/\. Correct\.$/, '');
  const first = /^(\d+) = ([^,]+)/.exec(body);
  if (!first) return null;
  if (body.includes(': ')) {
    const parts = body.split(', ');
    const terms = [{ term: parts[0].slice(parts[0].indexOf(' = ') + 3) }];
    for (const p of parts.slice(1)) {
      const m = /^(\d+) = ([^:]+): (.+)$/.exec(p);
      if (!m) return null;
      terms.push({ named: Number(m[1]), step: m[2], term: m[3] });
    }
    return terms;
  }
  return body
    .split(' = ')
    .slice(1)
    .map((term) => ({ term }));
}

function fault(numbers, target, response) {
  const line = response.split('\n').find((l) => l.startsWith('Check: '));
  if (!line) return 'no check';
  const terms = readCheck(line);
  if (!terms) return 'no check';
  const k = terms.findIndex((t) => value(t.term) !== target);
  if (k === 0) return 'first term';
  if (k > 0) {
    const { named, step } = terms[k];
    if (named !== undefined && value(step) !== named) return 'named step wrong';
    const put = replacement(terms[k - 1].term, terms[k].term);
    if (!put) return 'term rewritten';
    if (named !== undefined) return put.replaced !== named ? 'named elsewhere' : 'wrong step';
    return numbersOf(terms[k - 1].term).includes(put.value) ? 'wrong slot' : 'wrong step';
  }
  const answer = (/<answer>(.*?)<\/answer>/s.exec(response) ?? [])[1]?.trim();
  if (answer !== terms.at(-1).term.trim()) return 'answer differs';
  const sorted = (xs) => [...xs].sort((a, b) => a - b).join(' ');
  // a sound check and answer that use the board's numbers once each would be a true claim
  return sorted(numbersOf(answer)) === sorted(numbers) ? 'not false' : 'board';
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
    if (b.falseClaimCause !== 'answer') continue;
    answerCause++;
    const kind = fault(numbers, target, response);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const line = response.split('\n').find((l) => l.startsWith('Check: '));
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
