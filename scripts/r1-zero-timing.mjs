#!/usr/bin/env node
// The RL step timing of docs/results/r1-zero/protocol.md section 6, over the compiled modules (run
// `npm run build` first): the first GRPO stage of recipes/r1-zero-final.yaml (the primed base,
// seed 0) for 5 steps in a scratch folder, then the steps that fit 60 minutes with 1.5x headroom
// for longer responses (at most 200). Writes docs/results/r1-zero/rl-timing.json (or --out).
//   node scripts/r1-zero-timing.mjs [--steps 5] [--out file.json]
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const flag = (name, def) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : def;
};
const steps = Number(flag('--steps', '5'));
const out = flag('--out', 'docs/results/r1-zero/rl-timing.json');
const { readRecipe } = await import('../dist/src/pipeline/recipe.js');
const { parsePipelineConfig } = await import('../dist/src/pipeline/config.js');
const { runPipeline } = await import('../dist/src/pipeline/runner.js');
const { STAGE_RUNNERS } = await import('../dist/src/pipeline/stages.js');
const { renderPipelineEvent } = await import('../dist/src/cli/commands/pipeline.js');

const recipe = 'recipes/r1-zero-final.yaml';
const r = readRecipe(recipe);
const stage = r.stages.find((s) => s.kind === 'grpo');
stage.args = { ...stage.args, max_steps: steps, save_steps: 0 };
const dir = 'runs/r1-zero/timing';
rmSync(dir, { recursive: true, force: true });
r.output_dir = dir;
r.stages = [stage];
const c = parsePipelineConfig(r, `${recipe} (timing)`);
await runPipeline(c, STAGE_RUNNERS, { onEvent: renderPipelineEvent });
const records = readFileSync(`${dir}/${stage.name}/checkpoints/metrics.jsonl`, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l))
  .filter((x) => x.type === 'grpo');
const stepSec = records.reduce((a, x) => a + x.step_sec, 0) / records.length;
const result = {
  command: 'node scripts/r1-zero-timing.mjs',
  stage: stage.name,
  steps: records.length,
  step_sec: records.map((x) => x.step_sec),
  mean_step_sec: stepSec,
  mean_completion_length: records.reduce((a, x) => a + x.completion_length_mean, 0) / records.length,
  projected_200_steps_min: (200 * stepSec) / 60,
  // 1.5x headroom: responses are meant to grow longer under RL, and a step's time with them
  max_steps: Math.min(200, Math.floor(3600 / (1.5 * stepSec) / 10) * 10),
};
writeFileSync(`${out}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
renameSync(`${out}.tmp`, out);
process.stdout.write(`${JSON.stringify(result)}\n`);
