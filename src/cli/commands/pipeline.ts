/**
 * `deepseek-ts pipeline run <r1.yaml>`: the five-stage DeepSeek-R1 recipe (src/pipeline) from one
 * declarative config; a rerun skips finished stages and resumes an interrupted one.
 * `deepseek-ts pipeline eval <checkpoint>`: the full evaluation of one checkpoint of any kind
 * (DeepSeek-V3 or a dense student): pass@1 / pass@k / cons@k, greedy accuracy, response length,
 * format-violation and language-mixing rates, per task and overall, as a table and JSON.
 */
import type { Command } from 'commander';
import { evaluateModel, type EvalRow } from '../../eval/model-eval.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { readPipelineConfig } from '../../pipeline/config.js';
import { runPipeline, type PipelineEvent } from '../../pipeline/runner.js';
import { STAGE_RUNNERS } from '../../pipeline/stages.js';
import { intOption, numberOption } from '../options.js';

/** Renders pipeline events on stderr. */
export function renderPipelineEvent(e: PipelineEvent): void {
  const w = (s: string) => process.stderr.write(s + '\n');
  if (e.type === 'stage-skip') w(`== ${e.stage}: skipped (${e.reason})`);
  else if (e.type === 'stage-start') w(`== ${e.stage} (${e.kind})${e.resume ? ': resuming an interrupted run' : ''}`);
  else if (e.type === 'stage-done') w(`== ${e.stage}: done in ${e.seconds.toFixed(0)} s`);
  else w(`  [${e.stage}] ${e.message}`);
}

/** The evaluation table. */
export function evalTable(rows: readonly EvalRow[], k: number): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
  const head = `task          problems  pass@1  pass@${k}  cons@${k}  greedy  length  fmt-viol  mixing\n`;
  return head + rows.map((t) => `${t.task.padEnd(13)} ${String(t.problems).padStart(8)} ${pct(t.pass_at_1)} ${pct(t.pass_at_k)} ${pct(t.cons_at_k)} ${pct(t.greedy_accuracy)} ${t.mean_length.toFixed(1).padStart(7)} ${pct(t.format_violation_rate)}  ${pct(t.language_mixing_rate)}`).join('\n') + '\n';
}

export function register(program: Command): void {
  const cmd = program.command('pipeline').description('the DeepSeek-R1 pipeline: cold start, reasoning RL, rejection sampling, SFT, final RL, distillation, evaluation');
  cmd.command('run')
    .description('run (or finish) every stage of a pipeline config (YAML or JSON)')
    .argument('<config>', 'pipeline config: output_dir, dataset_dir, base, stages (see docs/results/r1-pipeline.md)')
    .option('--until <stage>', 'stop after this stage')
    .addHelpText('after', '\nExample:\n  deepseek-ts pipeline run configs/r1-tiny.yaml\n  deepseek-ts pipeline run configs/r1-tiny.yaml --until rl-reasoning')
    .action(async (path: string, o: { until?: string }) => {
      const c = readPipelineConfig(path);
      const ms = await runPipeline(c, STAGE_RUNNERS, { ...(o.until ? { until: o.until } : {}), onEvent: renderPipelineEvent });
      process.stdout.write(JSON.stringify({ output_dir: c.output_dir, stages: ms.map((m) => ({ name: m.name, status: m.status, seconds: Math.round(m.seconds) })) }) + '\n');
    });
  cmd.command('eval')
    .description('greedy and sampled accuracy, response length, format violations and language mixing of any checkpoint (DeepSeek-V3 or dense student)')
    .argument('<model>', 'checkpoint folder or output_dir with a `latest` pointer')
    .requiredOption('--dataset <dir>', '`data build` folder (test/<task>.jsonl, tokenizer/)')
    .option('--tasks <list>', 'comma-separated tasks (default: every test split)')
    .option('--limit <n>', 'problems per task', intOption('--limit'), 50)
    .option('--k <n>', 'samples per problem', intOption('--k'), 4)
    .option('--temperature <t>', 'sampling temperature', numberOption('--temperature'), 0.6)
    .option('--top-p <p>', 'nucleus mass', numberOption('--top-p'), 0.95)
    .option('--max-new-tokens <n>', 'most tokens per response', intOption('--max-new-tokens'), 200)
    .option('--template <name>', 'r1-zero (base and R1-Zero models) or r1 (chat models)', 'r1')
    .option('--seed <n>', 'sampling seed', intOption('--seed'), 1234)
    .option('--threads <n>', 'compute threads', intOption('--threads'))
    .option('--out <file>', 'write the report (with every response) as JSON')
    .addHelpText('after', '\nExample:\n  deepseek-ts pipeline eval runs/r1/sft-final --dataset runs/data-tiny --tasks countdown,arithmetic --out eval.json')
    .action(async (model: string, o: { dataset: string; tasks?: string; limit: number; k: number; temperature: number; topP: number; maxNewTokens: number; template: string; seed: number; threads?: number; out?: string }) => {
      if (o.template !== 'r1-zero' && o.template !== 'r1') throw new Error(`--template must be r1-zero or r1, got ${JSON.stringify(o.template)}`);
      if (o.k < 1) throw new Error(`--k must be at least 1, got ${o.k}`);
      const r = await evaluateModel({
        model, datasetDir: o.dataset, ...(o.tasks ? { tasks: o.tasks.split(',').map((s) => s.trim()).filter(Boolean) } : {}), limit: o.limit, k: o.k,
        temperature: o.temperature, topP: o.topP, maxNewTokens: o.maxNewTokens, template: o.template, seed: o.seed, ...(o.threads ? { threads: o.threads } : {}),
        onProgress: (phase, done, total) => process.stderr.write(`\r${phase}: ${done}/${total}${done === total ? '\n' : ''}`),
      });
      process.stdout.write(evalTable(r.rows, o.k));
      if (o.out) await writeFileAtomic(o.out, Buffer.from(JSON.stringify(r, null, 2) + '\n'));
    });
}
