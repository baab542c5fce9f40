#!/usr/bin/env node
// Seconds per GRPO step phase from a run's metrics.jsonl: rollout, pi_old and pi_ref log-probs,
// update, and the rest (rewards, metrics). Usage: node scripts/grpo-phases.mjs <output_dir> [first step, default 2]
// Reads both metrics layouts: runs since the one-engine change log rollout_sec, old_logp_sec,
// ref_logp_sec and update_sec; older runs log only tokens/s and a step_sec that leaves the
// stored log-probs out, so for them rollout = completion tokens / rollout tokens/s, update =
// step_sec - rollout, and the log-probs (old + ref together) are the rest of the step's wall time.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, fromArg] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node scripts/grpo-phases.mjs <output_dir> [first step, default 2]\n');
  process.exit(2);
}
const from = Number(fromArg ?? 2);
// The run's config: in the last checkpoint (`latest` names it), or beside metrics.jsonl in a copied artifact.
const configPath = existsSync(join(dir, 'latest'))
  ? join(dir, readFileSync(join(dir, 'latest'), 'utf8').trim(), 'run_config.json')
  : join(dir, 'run_config.json');
const run = JSON.parse(readFileSync(configPath, 'utf8'));
const byStep = new Map();
for (const line of readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  if (r.type === 'grpo') byStep.set(r.step, r);
}
const steps = [...byStep.values()].sort((a, b) => a.step - b.step);
const rows = [];
steps.forEach((r, i) => {
  const wall = r.elapsed_sec - (i > 0 ? steps[i - 1].elapsed_sec : 0);
  if (r.step < from) return;
  if (r.update_sec !== undefined) {
    const logp = r.old_logp_sec + r.ref_logp_sec;
    rows.push({ rollout: r.rollout_sec, logp, update: r.update_sec, other: wall - r.step_sec, wall });
  } else {
    const rollout = (r.completion_length_mean * run.generation_batch_size) / r.rollout_tokens_per_sec;
    rows.push({ rollout, logp: wall - r.step_sec, update: r.step_sec - rollout, other: 0, wall });
  }
});
if (rows.length === 0) {
  process.stderr.write(`${dir}: no GRPO steps from step ${from} in metrics.jsonl\n`);
  process.exit(1);
}
const mean = (k) => rows.reduce((s, x) => s + x[k], 0) / rows.length;
process.stdout.write(
  `${dir}: steps ${from}..${steps.at(-1).step} (${rows.length}), mean seconds per step\n` +
    ['rollout', 'logp', 'update', 'other', 'wall']
      .map((k) => `  ${(k === 'logp' ? 'old+ref logp' : k).padEnd(13)} ${mean(k).toFixed(3)}`)
      .join('\n') +
    '\n',
);
