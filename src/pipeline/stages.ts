/** The runners of every stage kind, for src/pipeline/runner.ts. */
import { runDistillStage } from '../distill/distill-stage.js';
import { runDataStage, runExportStage } from './build-stages.js';
import { runColdStart, runRejectionSampling } from './data-stages.js';
import { runR1ZeroReport } from './report-stage.js';
import type { StageRunners } from './runner.js';
import { runEvalStage, runGrpoStage, runPretrainStage, runSftStage } from './train-stages.js';

export const STAGE_RUNNERS: Readonly<StageRunners> = Object.freeze({
  data: runDataStage,
  pretrain: runPretrainStage,
  cold_start: runColdStart,
  sft: runSftStage,
  grpo: runGrpoStage,
  rejection_sampling: runRejectionSampling,
  eval: runEvalStage,
  r1_zero_report: runR1ZeroReport,
  distill: runDistillStage,
  export: runExportStage,
});
