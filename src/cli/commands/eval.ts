/**
 * `deepseek-ts eval <model>`: the evaluation of one checkpoint of any kind (DeepSeek-V3 or a dense
 * student) on the held-out splits of a data build folder, with src/eval/model-eval.ts (the one
 * evaluator the pipeline uses too). Per task and overall ("all"): pass@1 (mean over k samples, R1's
 * protocol: temperature 0.6, top-p 0.95), pass@k, cons@k (majority vote), greedy accuracy, mean
 * response length, format-violation and language-mixing rates, reflection phrases per response.
 * Deterministic for a seed. Prints a table, or with --json the report as JSON on stdout (the table
 * then goes to stderr); --out writes the full report with every response.
 */
import type { Command } from 'commander';
import { evaluateModel } from '../../eval/model-eval.js';
import { evalTable } from '../../eval/table.js';
import { writeFileAtomic } from '../../io/atomic-write.js';
import { intOption, numberOption } from '../options.js';

interface EvalFlags {
  dataset: string;
  tasks?: string;
  limit: number;
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  template: string;
  seed: number;
  greedy: boolean;
  promptsPerBatch: number;
  maxSlots?: number;
  tokenizer?: string;
  threads?: number;
  json?: boolean;
  out?: string;
  chat: number;
  direct: number;
}

export function register(program: Command): void {
  program
    .command('eval')
    .description(
      'pass@1 / pass@k / cons@k, greedy accuracy, length, format violations, language mixing and ' +
        'reflection rate of a checkpoint on the held-out splits of a data build folder',
    )
    .argument(
      '<model>',
      'checkpoint folder (config.json + model.safetensors; DeepSeek-V3, Qwen2 or Llama) or an output_dir with a `latest` pointer',
    )
    .requiredOption('--dataset <dir>', 'output folder of `deepseek-ts data build` (test/<task>.jsonl, tokenizer/)')
    .option('--tasks <list>', 'comma-separated tasks (default: every test split)')
    .option('--limit <n>', 'problems per task', intOption('--limit'), 50)
    .option('--k <n>', 'samples per problem', intOption('--k'), 8)
    .option('--temperature <t>', 'sampling temperature', numberOption('--temperature'), 0.6)
    .option('--top-p <p>', 'nucleus mass', numberOption('--top-p'), 0.95)
    .option('--max-new-tokens <n>', 'most tokens per sample', intOption('--max-new-tokens'), 256)
    .option('--template <name>', 'r1-zero (base models) or r1 (chat layout)', 'r1-zero')
    .option('--seed <n>', 'sampling seed (the greedy pass uses seed + 1)', intOption('--seed'), 0)
    .option(
      '--no-greedy',
      'skip the greedy pass (one temperature-0 sample per problem, about 1/k of the sampling cost)',
    )
    .option('--prompts-per-batch <n>', 'prompts sampled together (k rows each)', intOption('--prompts-per-batch'), 4)
    .option(
      '--max-slots <n>',
      'sequences decoded at once (default: all of a batch); fewer stream a large batch through them',
      intOption('--max-slots'),
    )
    .option(
      '--tokenizer <dir>',
      "tokenizer folder (default: the checkpoint's tokenizer.json, else the dataset's tokenizer/)",
    )
    .option('--threads <n>', 'compute threads', intOption('--threads'))
    .option(
      '--chat <n>',
      'also evaluate n chat prompts (greetings, self-cognition): reply layout, length, language',
      intOption('--chat'),
      0,
    )
    .option(
      '--direct <n>',
      'also evaluate n held-out direct queries (compare, sort, count letters): accuracy and format',
      intOption('--direct'),
      0,
    )
    .option('--json', 'print the report (settings and rows) as JSON on stdout; the table goes to stderr')
    .option('--out <file>', 'write the full report (every sampled and greedy response, scored) as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts eval runs/r1-zero --dataset runs/data-tiny --tasks countdown,arithmetic --limit 50 --k 8 --json',
    )
    .action(async (model: string, o: EvalFlags) => {
      if (o.template !== 'r1-zero' && o.template !== 'r1')
        throw new Error(`--template must be r1-zero or r1, got ${JSON.stringify(o.template)}`);
      if (o.k < 1) throw new Error(`--k must be at least 1, got ${o.k}`);
      if (o.limit < 1) throw new Error(`--limit must be at least 1, got ${o.limit}`);
      if (o.chat < 0 || o.direct < 0)
        throw new Error(`--chat and --direct must be at least 0, got ${o.chat} and ${o.direct}`);
      if (o.promptsPerBatch < 1) throw new Error(`--prompts-per-batch must be at least 1, got ${o.promptsPerBatch}`);
      if (!(o.temperature > 0))
        throw new Error(
          `--temperature must be above 0 for the sampled pass (the greedy pass is temperature 0), got ${o.temperature}`,
        );
      if (!(o.topP > 0 && o.topP <= 1)) throw new Error(`--top-p must be in (0, 1], got ${o.topP}`);
      const tasks = o.tasks
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      const r = await evaluateModel({
        model,
        datasetDir: o.dataset,
        ...(tasks ? { tasks } : {}),
        limit: o.limit,
        k: o.k,
        temperature: o.temperature,
        topP: o.topP,
        maxNewTokens: o.maxNewTokens,
        template: o.template,
        seed: o.seed,
        greedy: o.greedy,
        promptsPerBatch: o.promptsPerBatch,
        ...(o.maxSlots ? { maxSlots: o.maxSlots } : {}),
        ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
        ...(o.chat || o.direct ? { general: { chat: o.chat, direct: o.direct } } : {}),
        onProgress: (phase, done, total) =>
          process.stderr.write(`\r${phase}: ${done}/${total}${done === total ? '\n' : ''}`),
      });
      const table =
        evalTable(r.rows, o.k) +
        (r.general?.length
          ? `\ngeneral scenarios (chat has nothing to verify: no accuracy)\n${evalTable(r.general, o.k)}`
          : '');
      if (o.json) {
        process.stderr.write(table);
        const { results: _r, greedy: _g, generalResults: _gr, ...report } = r;
        process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      } else {
        process.stdout.write(table);
      }
      if (o.out) await writeFileAtomic(o.out, Buffer.from(`${JSON.stringify(r, null, 2)}\n`));
    });
}
