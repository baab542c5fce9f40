/**
 * `deepseek-ts eval <model>`: samples k completions per held-out problem and reports, per task,
 * pass@1 (mean over the k samples, R1's protocol: temperature 0.6, top-p 0.95), pass@k and cons@k
 * (majority vote), the strict-format rate, mean length and reflection-phrase rate.
 */
import type { Command } from 'commander';
import { evaluateCheckpoint } from '../../eval/checkpoint-eval.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { intOption, numberOption } from '../options.js';

export function register(program: Command): void {
  program.command('eval')
    .description('pass@1 / pass@k / cons@k of a checkpoint on the held-out splits of a data build folder')
    .argument('<model>', 'checkpoint folder (config.json + model.safetensors) or an output_dir with a `latest` pointer')
    .requiredOption('--dataset <dir>', 'output folder of `deepseek-ts data build` (test/<task>.jsonl, tokenizer/)')
    .option('--tasks <list>', 'comma-separated tasks (default: every test split)')
    .option('--limit <n>', 'problems per task', intOption('--limit'), 50)
    .option('--k <n>', 'samples per problem', intOption('--k'), 8)
    .option('--temperature <t>', 'sampling temperature', numberOption('--temperature'), 0.6)
    .option('--top-p <p>', 'nucleus mass', numberOption('--top-p'), 0.95)
    .option('--max-new-tokens <n>', 'most tokens per sample', intOption('--max-new-tokens'), 256)
    .option('--template <name>', 'r1-zero (base models) or r1 (chat layout)', 'r1-zero')
    .option('--seed <n>', 'sampling seed', intOption('--seed'), 0)
    .option('--threads <n>', 'compute threads', intOption('--threads'))
    .option('--out <file>', 'write the full report (every sample) as JSON')
    .addHelpText('after', '\nExample:\n  deepseek-ts eval runs/r1-zero --dataset runs/data-tiny --tasks countdown,arithmetic --limit 50 --k 8')
    .action(async (model: string, o: { dataset: string; tasks?: string; limit: number; k: number; temperature: number; topP: number; maxNewTokens: number; template: string; seed: number; threads?: number; out?: string }) => {
      if (o.template !== 'r1-zero' && o.template !== 'r1') throw new Error(`--template must be r1-zero or r1, got ${JSON.stringify(o.template)}`);
      if (o.k < 1) throw new Error(`--k must be at least 1, got ${o.k}`);
      const r = await evaluateCheckpoint({
        model, datasetDir: o.dataset, ...(o.tasks ? { tasks: o.tasks.split(',').map((s) => s.trim()).filter(Boolean) } : {}), limit: o.limit, k: o.k,
        temperature: o.temperature, topP: o.topP, maxNewTokens: o.maxNewTokens, template: o.template, seed: o.seed, ...(o.threads ? { threads: o.threads } : {}),
        onProgress: (task, done, total) => process.stderr.write(`\r${task}: ${done}/${total}`),
      });
      process.stderr.write('\n');
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`.padStart(7);
      process.stdout.write(`task          problems  pass@1  pass@${o.k}  cons@${o.k}  format  length  reflect\n`);
      for (const t of r.reports) process.stdout.write(`${t.task.padEnd(13)} ${String(t.problems).padStart(8)} ${pct(t.pass_at_1)} ${pct(t.pass_at_k)} ${pct(t.cons_at_k)} ${pct(t.format_rate)} ${t.mean_length.toFixed(1).padStart(7)} ${t.reflection_rate.toFixed(2).padStart(8)}\n`);
      if (o.out) await writeFileAtomic(o.out, Buffer.from(JSON.stringify(r, null, 2) + '\n'));
    });
}
