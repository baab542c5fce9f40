/** The runners of every stage kind, for src/pipeline/runner.ts. */
import { runDistillStage } from '../distill/distill-stage.js';
import { runColdStart, runRejectionSampling } from './data-stages.js';
import type { StageRunners } from './runner.js';
import { runEvalStage, runGrpoStage, runSftStage } from './train-stages.js';

export const STAGE_RUNNERS: Readonly<StageRunners> = Object.freeze({
  cold_start: runColdStart,
  sft: runSftStage,
  grpo: runGrpoStage,
  rejection_sampling: runRejectionSampling,
  eval: runEvalStage,
  distill: runDistillStage,
});
