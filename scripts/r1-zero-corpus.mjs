#!/usr/bin/env node
// The R1-Zero corpus measurements of docs/results/r1-zero/protocol.md, over the compiled modules
// (run `npm run build` first):
//   node scripts/r1-zero-corpus.mjs lengths <dataset> [--out file.json]
//     token lengths of corpus.jsonl with the dataset's tokenizer, per task, tier and solver mode, and of
//     the held-out prompts in the R1-Zero template
//   node scripts/r1-zero-corpus.mjs steps <checkpoint|output_dir> <dataset> [--per-group N] [--out file.json]
//     teacher-forced step accuracy of a base on held-out traces, per operation / tier and line kind
//   node scripts/r1-zero-corpus.mjs behaviours <eval --out report> <dataset> [--max-new-tokens N] [--out file.json]
//     behaviour counters, solver modes and lengths per task tier of an evaluation's sampled responses
import { writeFileSync, renameSync } from 'node:fs';

const [cmd, ...rest] = process.argv.slice(2);
const flag = (name, def) => {
  const i = rest.indexOf(name);
  return i >= 0 ? rest[i + 1] : def;
};
const positional = rest.filter((a, i) => !a.startsWith('--') && !(i > 0 && rest[i - 1].startsWith('--')));
const write = (obj) => {
  const text = `${JSON.stringify(obj, null, 2)}\n`;
  const out = flag('--out');
  if (!out) return process.stdout.write(text);
  writeFileSync(`${out}.tmp`, text);
  renameSync(`${out}.tmp`, out);
  process.stderr.write(`wrote ${out}\n`);
};

if (cmd === 'lengths' && positional.length === 1) {
  const { corpusLengths, heldOutPromptLengths } = await import('../dist/src/data/lengths.js');
  write({
    dataset: positional[0],
    groups: corpusLengths(positional[0]),
    held_out_prompts: { template: 'r1-zero', tasks: heldOutPromptLengths(positional[0], 'r1-zero') },
  });
} else if (cmd === 'steps' && positional.length === 2) {
  const [ckPath, dataset] = positional;
  const perGroup = Number(flag('--per-group', '40'));
  const { createBackend } = await import('../dist/src/kernels/index.js');
  const { Engine } = await import('../dist/src/tensor/index.js');
  const { DeepseekV3 } = await import('../dist/src/models/deepseek-v3/model.js');
  const { loadTokenizer } = await import('../dist/src/tokenizer/hf-tokenizer.js');
  const { loadTrainCheckpoint } = await import('../dist/src/train/checkpoint.js');
  const { readTestProblems } = await import('../dist/src/train/data.js');
  const { problemGroup, stepAccuracy } = await import('../dist/src/eval/step-accuracy.js');
  const engine = new Engine(await createBackend({}));
  const ck = await loadTrainCheckpoint(engine, ckPath);
  const model = new DeepseekV3(engine, ck.config, ck.params);
  const problems = [];
  for (const [task, ps] of readTestProblems(dataset)) {
    if (task === 'off-task') continue;
    const taken = new Map();
    for (const p of ps) {
      const g = problemGroup(p);
      if ((taken.get(g) ?? 0) >= perGroup) continue;
      taken.set(g, (taken.get(g) ?? 0) + 1);
      problems.push(p);
    }
  }
  const groups = stepAccuracy(model, loadTokenizer(ck.dir), problems);
  const rate = (c) => ({
    ...c,
    token_accuracy: c.correct / c.tokens,
    line_accuracy: c.exactLines / c.lines,
    step_accuracy: c.exactSteps / c.lines,
  });
  write({
    checkpoint: ck.dir,
    step: ck.state.step,
    tokens_seen: ck.state.tokens_seen,
    per_group: perGroup,
    groups: Object.fromEntries(
      Object.entries(groups).map(([g, kinds]) => [
        g,
        Object.fromEntries(Object.entries(kinds).map(([k, c]) => [k, rate(c)])),
      ]),
    ),
  });
} else if (cmd === 'behaviours' && positional.length === 2) {
  const [reportPath, dataset] = positional;
  const { readFileSync } = await import('node:fs');
  const { behaviourReport } = await import('../dist/src/eval/behaviours.js');
  const { readTestProblems } = await import('../dist/src/train/data.js');
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const problems = new Map();
  for (const ps of readTestProblems(dataset).values()) for (const p of ps) problems.set(p.key, p);
  const max = flag('--max-new-tokens');
  write({ report: reportPath, groups: behaviourReport(report.results, problems, max ? Number(max) : undefined) });
} else {
  process.stderr.write(
    'usage: node scripts/r1-zero-corpus.mjs lengths <dataset> [--out f]\n' +
      '       node scripts/r1-zero-corpus.mjs steps <checkpoint> <dataset> [--per-group N] [--out f]\n' +
      '       node scripts/r1-zero-corpus.mjs behaviours <eval-report.json> <dataset> [--max-new-tokens N] [--out f]\n',
  );
  process.exit(2);
}
