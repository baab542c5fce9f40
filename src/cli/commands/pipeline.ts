/**
 * `deepseek-ts pipeline run <recipe.yaml>`: any recipe of the one pipeline runner (src/pipeline; the
 * format is in src/pipeline/config.ts, the shipped recipes in recipes/), e.g. the five-stage
 * DeepSeek-R1 recipe; a rerun skips finished stages and resumes an interrupted one.
 * One checkpoint of any kind (a stage's, a student's) is evaluated with `deepseek-ts eval`.
 */
import type { Command } from 'commander';
import { readPipelineConfig } from '../../pipeline/config.js';
import { runPipeline, type PipelineEvent } from '../../pipeline/runner.js';
import { STAGE_RUNNERS } from '../../pipeline/stages.js';

/** Renders pipeline events on stderr. */
export function renderPipelineEvent(e: PipelineEvent): void {
  const w = (s: string) => process.stderr.write(`${s}\n`);
  if (e.type === 'stage-skip') w(`== ${e.stage}: skipped (${e.reason})`);
  else if (e.type === 'stage-start') w(`== ${e.stage} (${e.kind})${e.resume ? ': resuming an interrupted run' : ''}`);
  else if (e.type === 'stage-done') w(`== ${e.stage}: done in ${e.seconds.toFixed(0)} s`);
  else w(`  [${e.stage}] ${e.message}`);
}

export function register(program: Command): void {
  const cmd = program
    .command('pipeline')
    .description(
      'the DeepSeek-R1 pipeline: cold start, reasoning RL, rejection sampling, SFT, final RL, distillation, evaluation',
    );
  cmd
    .command('run')
    .description('run (or finish) every stage of a pipeline config (YAML or JSON)')
    .argument('<recipe>', 'a recipe (YAML or JSON): output_dir, dataset_dir, base, stages (examples in recipes/)')
    .option('--until <stage>', 'stop after this stage')
    .option('--only <stage>', 'run this stage only; the stages it reads must have finished')
    .addHelpText(
      'after',
      '\nExample:\n  deepseek-ts pipeline run recipes/r1-pipeline.yaml\n  deepseek-ts pipeline run ' +
        'recipes/r1-pipeline.yaml --until rl-reasoning\n  deepseek-ts pipeline run recipes/r1-zero-final.yaml --only grpo-primed-s1',
    )
    .action(async (path: string, o: { until?: string; only?: string }) => {
      const c = readPipelineConfig(path);
      const ms = await runPipeline(c, STAGE_RUNNERS, {
        ...(o.until ? { until: o.until } : {}),
        ...(o.only ? { only: o.only } : {}),
        onEvent: renderPipelineEvent,
      });
      process.stdout.write(
        `${JSON.stringify({
          output_dir: c.output_dir,
          stages: ms.map((m) => ({ name: m.name, status: m.status, seconds: Math.round(m.seconds) })),
        })}\n`,
      );
    });
}
