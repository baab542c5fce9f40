/**
 * Sets up and runs a GRPO job from a resolved config: backend and engine, the base model's config,
 * weights and tokenizer, a frozen reference copy (when beta > 0), AdamW, the prompt stream, the
 * rewards, metrics and completions JSONL, and checkpoints through src/train/checkpoint.ts (the same
 * atomic, checksummed folders and `--resume` as pretraining). When the reference is refreshed
 * (sync_ref_model), its weights are saved beside the policy's as ref_model.safetensors, so a resume
 * restores it exactly; otherwise the reference is the base model and is reloaded from `model`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, tensorToFloat32, writeSafetensors } from '../io/safetensors.js';
import { createBackend } from '../kernels/index.js';
import { disposeParams, loadParams, paramsToStored } from '../models/deepseek-v3/checkpoint.js';
import { readDeepseekV3Config, type DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { AdamW } from '../nn/adamw.js';
import { rewardsByName } from '../rewards/combine.js';
import { Engine, Rng, type Tensor } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import {
  cleanCheckpointLeftovers,
  loadTrainCheckpoint,
  pruneCheckpoints,
  resolveCheckpoint,
  restoreOptimizer,
  saveTrainCheckpoint,
  type TrainerState,
  freshTrainerState,
} from '../train/checkpoint.js';
import { MetricsLog, type MetricsRecord } from '../train/metrics.js';
import { resolveGrpoConfig, type GrpoConfig } from './config.js';
import { cloneParams, deepseekPolicy } from './policy.js';
import { ProblemStream, TEMPLATES } from './prompts.js';
import { GrpoTrainer, type GrpoEvent } from './trainer.js';

const REF_FILE = 'ref_model.safetensors';

export type GrpoRunEvent =
  | GrpoEvent
  | { type: 'start'; config: GrpoConfig; parameters: number; step: number; resumedFrom?: string; warnings: string[] };

export interface GrpoRequest {
  /** Config layers in precedence order (file, flags), merged over the defaults. */
  layers: Record<string, unknown>[];
  /** Checkpoint folder or output_dir to resume from. */
  resume?: string;
  onEvent?: (e: GrpoRunEvent) => void;
}

/** Loads a model folder (or an output_dir's latest checkpoint): config and parameters. */
export async function loadModelFolder(
  engine: Engine,
  path: string,
): Promise<{ dir: string; config: DeepseekV3Config; params: Map<string, Tensor>; warnings: string[] }> {
  const dir = existsSync(join(path, 'config.json')) ? path : await resolveCheckpoint(path);
  const { config, warnings } = await readDeepseekV3Config(join(dir, 'config.json'));
  const loaded = await loadParams(engine, config, dir);
  return { dir, config, params: loaded.params, warnings: [...warnings, ...loaded.warnings] };
}

/** AdamW for GRPO (1-D tensors get no weight decay). */
function makeOptimizer(params: ReadonlyMap<string, Tensor>, c: GrpoConfig): AdamW {
  return new AdamW(params, {
    lr: c.learning_rate,
    beta1: c.adam_beta1,
    beta2: c.adam_beta2,
    eps: c.adam_epsilon,
    weightDecay: c.weight_decay,
    noDecay: (n) => (params.get(n)?.rank ?? 2) < 2,
  });
}

type GrpoResult = { last: MetricsRecord | null; outputDir: string; config: GrpoConfig };

async function resolved(req: GrpoRequest): Promise<{ resumed: string | undefined; c: GrpoConfig }> {
  const resumed = req.resume ? await resolveCheckpoint(req.resume) : undefined;
  const saved = resumed
    ? (JSON.parse(readFileSync(join(resumed, 'run_config.json'), 'utf8')) as Record<string, unknown>)
    : {};
  // Checkpoints saved before engine_segment_steps was removed still name it (with its default); it means nothing now.
  delete saved.engine_segment_steps;
  return {
    resumed,
    c: resolveGrpoConfig([saved, ...req.layers], resumed ? `grpo config (resumed from ${resumed})` : 'grpo config'),
  };
}

/** Runs a GRPO job; resolves with the last metrics record and the output folder. */
export async function runGrpo(req: GrpoRequest): Promise<GrpoResult> {
  const { resumed, c } = await resolved(req);
  const warnings: string[] = await cleanCheckpointLeftovers(c.output_dir); // crash leftovers, reported
  let state: TrainerState;
  let policyParams: Map<string, Tensor>,
    config: DeepseekV3Config,
    optimizerState: Map<string, Float32Array> | undefined;
  const engine = new Engine(await createBackend(c.threads ? { threads: c.threads } : {}));
  if (resumed) {
    const ck = await loadTrainCheckpoint(engine, resumed);
    ({ config, state } = ck);
    policyParams = ck.params;
    optimizerState = ck.optimizer;
  } else {
    if (existsSync(join(c.output_dir, 'latest')))
      throw new Error(
        `output_dir ${c.output_dir} already holds checkpoints; pass --resume ${c.output_dir} to continue, or choose another output_dir`,
      );
    const base = await loadModelFolder(engine, c.model);
    ({ config } = base);
    policyParams = base.params;
    for (const w of base.warnings) warnings.push(w);
    const rng = new Rng(c.seed);
    state = freshTrainerState(rng.state());
  }
  const modelDir = existsSync(join(c.model, 'config.json')) ? c.model : await resolveCheckpoint(c.model);
  const tokDir = c.tokenizer ?? modelDir;
  if (!existsSync(join(tokDir, 'tokenizer.json')))
    throw new Error(`tokenizer: ${tokDir} holds no tokenizer.json; set "tokenizer" to the dataset's tokenizer folder`);
  const tok = loadTokenizer(tokDir);
  let refParams: Map<string, Tensor> | undefined;
  if (c.beta > 0) {
    if (resumed && existsSync(join(resumed, REF_FILE))) {
      const saved = await readSafetensors(join(resumed, REF_FILE));
      refParams = cloneParams(policyParams);
      for (const [k, t] of refParams) {
        const s = saved.tensors.get(k);
        if (!s) throw new Error(`${join(resumed, REF_FILE)} lacks "${k}"; the checkpoint is incomplete`);
        engine.backend.f32().set(tensorToFloat32(s), t.ptr >>> 2);
      }
    } else if (resumed) {
      refParams = (await loadModelFolder(engine, c.model)).params;
      for (const p of refParams.values()) p.requiresGrad = false;
    } else {
      refParams = cloneParams(policyParams);
    }
  }
  const optimizer = makeOptimizer(policyParams, c);
  if (optimizerState) restoreOptimizer(optimizer, optimizerState, state.optimizer_step);
  const dataState = state.data_state as { problems?: number } | undefined;
  const problems = new ProblemStream({
    tasks: c.tasks,
    difficulties: c.difficulties,
    languages: c.languages,
    seed: c.seed,
    ...(dataState?.problems !== undefined ? { state: dataState.problems } : {}),
  });
  const metrics = new MetricsLog(join(c.output_dir, 'metrics.jsonl'));
  metrics.truncateAfter(state.step);
  const completions = new MetricsLog(join(c.output_dir, 'completions.jsonl'));
  completions.truncateAfter(state.step);
  const maxLen = Math.min(config.max_position_embeddings, c.max_prompt_length + c.max_completion_length);
  const policy = deepseekPolicy(engine, config, policyParams, maxLen);
  const reference = refParams
    ? { policy: deepseekPolicy(engine, config, refParams, maxLen), params: refParams }
    : undefined;
  let parameters = 0;
  for (const p of policyParams.values()) if (p.requiresGrad) parameters += p.size;
  req.onEvent?.({
    type: 'start',
    config: c,
    parameters,
    step: state.step,
    ...(resumed ? { resumedFrom: resumed } : {}),
    warnings,
  });
  const trainer = new GrpoTrainer(
    {
      engine,
      policy,
      params: policyParams,
      ...(reference ? { reference } : {}),
      optimizer,
      tokenizer: tok,
      template: TEMPLATES[c.template],
      problems,
      rewards: rewardsByName(c.reward_weights),
      config: c,
      rng: Rng.fromState(state.rng_state),
      metrics,
      completions,
      ...(req.onEvent ? { onEvent: req.onEvent } : {}),
      save: async (s) => {
        const refHook =
          reference && c.sync_ref_model
            ? {
                beforeCommit: (tmp: string) =>
                  writeSafetensors(join(tmp, REF_FILE), paramsToStored(config, reference.params), {
                    role: 'GRPO reference policy',
                  }),
              }
            : {};
        const path = await saveTrainCheckpoint(
          c.output_dir,
          { config, params: policyParams, optimizer, state: s, runConfig: c, tokenizerDir: tokDir },
          refHook,
        );
        await pruneCheckpoints(c.output_dir, c.save_total_limit);
        return path;
      },
    },
    state,
  );
  try {
    const last = await trainer.run();
    return { last, outputDir: c.output_dir, config: c };
  } finally {
    policy.dispose();
    reference?.policy.dispose();
    optimizer.dispose();
    disposeParams(policyParams);
    if (refParams) disposeParams(refParams);
    engine.backend.dispose();
  }
}
