/**
 * DeepSeek-R1-Zero at small scale (R1 paper 2.2) as a recipe of the pipeline runner: recipes/r1-zero.yaml
 * (held-out eval of the base model, GRPO with accuracy + format rewards and the R1-Zero template,
 * eval of the result, the results page) with the `deepseek-ts r1-zero` flags applied. Skipping
 * finished stages and resuming an interrupted GRPO run is the runner's (src/pipeline/runner.ts),
 * so one command reproduces the whole experiment and a rerun continues it.
 */
import { parsePipelineConfig, type PipelineConfig } from '../pipeline/config.js';
import { patchStage, readRecipe, recipePath } from '../pipeline/recipe.js';

export interface R1ZeroOptions {
  base: string;
  datasetDir: string;
  outputDir: string;
  /** Where the markdown page goes; charts go to a folder of the same name without `.md`. */
  results: string;
  /** Task mix (equal weights, difficulty levels 1-2); default: the recipe's. */
  tasks?: readonly string[];
  /** GRPO config layers (a --config file, flags) over the recipe's GRPO args, in order. */
  layers: Record<string, unknown>[];
  /** Held-out problems per task and samples per problem of both evaluations (default: the recipe's). */
  evalLimit?: number;
  k?: number;
  threads?: number;
  /** The command line to print on the page. */
  command: string;
  /** Markdown file whose text goes above the results table. */
  notes?: string;
  /** The recipe file (default: recipes/r1-zero.yaml). */
  recipe?: string;
}

/** The validated recipe of an R1-Zero run: a typo in any key fails here, before anything runs. */
export function r1ZeroRecipe(o: R1ZeroOptions): PipelineConfig {
  const path = o.recipe ?? recipePath('r1-zero');
  const r = readRecipe(path);
  Object.assign(r, { output_dir: o.outputDir, dataset_dir: o.datasetDir, base: o.base });
  if (o.threads) r.threads = o.threads;
  const taskArgs = o.tasks
    ? {
        tasks: Object.fromEntries(o.tasks.map((t) => [t, 1])),
        difficulties: Object.fromEntries(o.tasks.map((t) => [t, [1, 2]])),
      }
    : {};
  const args = Object.assign({}, taskArgs, ...o.layers) as Record<string, unknown>;
  patchStage(r, 'grpo', { args });
  const grpoArgs = r.stages.find((s) => s.name === 'grpo')!.args as Record<string, unknown>;
  for (const name of ['eval-before', 'eval-after'])
    patchStage(r, name, {
      ...(o.evalLimit !== undefined ? { limit: o.evalLimit } : {}),
      ...(o.k !== undefined ? { k: o.k } : {}),
      tasks: Object.keys(grpoArgs.tasks as object),
      ...(grpoArgs.max_completion_length !== undefined ? { max_new_tokens: grpoArgs.max_completion_length } : {}),
    });
  patchStage(r, 'report', { results: o.results, command: o.command, ...(o.notes ? { notes: o.notes } : {}) });
  return parsePipelineConfig(r, `r1-zero recipe ${path}`);
}
