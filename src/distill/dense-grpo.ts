/**
 * GRPO on a dense student from its base (R1 paper 4.1, "Distillation v.s. Reinforcement
 * Learning": the same small model trained by large-scale RL, against its distilled version). The
 * trainer, rewards and prompt stream are src/rl's; the policy is src/distill/dense-policy.ts. The
 * run stops at max_steps or when the wall-clock budget is spent, whichever comes first, and saves
 * the student as an HF Qwen2 folder.
 * Checkpoints: every save_steps steps (and at max_steps) the student, AdamW moments, step, prompt
 * stream position, sampling RNG and the seconds spent so far are written as a checkpoint folder of
 * src/train/checkpoint.ts (atomic, checksummed, `latest` pointer, save_total_limit pruning), the
 * same format the DeepSeek-V3 runs use. A call whose outputDir holds `latest` resumes from it: the
 * result equals that of an uninterrupted run, and the time budget counts the seconds already spent
 * up to the checkpoint. With sync_ref_model the refreshed reference is saved beside it
 * (ref_model.safetensors), as src/rl/session.ts does; otherwise the reference is the base weights
 * the caller passes in.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, tensorToFloat32, writeSafetensors, type StoredTensor } from '../io/safetensors.js';
import type { DenseConfig } from '../models/qwen2/config.js';
import { loadDenseParams, saveDenseCheckpoint } from '../models/qwen2/checkpoint.js';
import { AdamW } from '../nn/adamw.js';
import { rewardsByName } from '../rewards/combine.js';
import { resolveGrpoConfig } from '../rl/config.js';
import { cloneParams } from '../rl/policy.js';
import { ProblemStream, TEMPLATES } from '../rl/prompts.js';
import { GrpoTrainer } from '../rl/trainer.js';
import { Rng, type Engine, type Tensor } from '../tensor/index.js';
import type { Tokenizer } from '../tokenizer/types.js';
import {
  LATEST,
  loadTrainState,
  pruneCheckpoints,
  restoreOptimizer,
  saveTrainCheckpoint,
  type TrainerState,
  freshTrainerState,
} from '../train/checkpoint.js';
import { MetricsLog } from '../train/metrics.js';
import { densePolicy } from './dense-policy.js';

const REF_FILE = 'ref_model.safetensors';

export interface DenseGrpoOptions {
  engine: Engine;
  config: DenseConfig;
  /** The student's base weights (trained in place; on a resume they are first replaced by the checkpoint's). */
  params: ReadonlyMap<string, Tensor>;
  tokenizer: Tokenizer;
  /** GRPO config layers (src/rl/config.ts keys); `model` is informational here. */
  layers: Record<string, unknown>[];
  outputDir: string;
  timeBudgetSec: number;
  onStep?: (step: number, reward: number, accuracy: number) => void;
  /** Called once when the run continues from a checkpoint. */
  onResume?: (step: number, dir: string) => void;
}

/** What a finished run reports: steps done, seconds spent (over every attempt, up to its checkpoint) and the step it resumed at. */
export interface DenseGrpoResult {
  steps: number;
  seconds: number;
  resumedAt?: number;
}

/** The data_state this file keeps in a checkpoint: the prompt stream's and the seconds spent. */
interface DenseDataState {
  problems?: number;
  elapsed_sec?: number;
}

/** Copies stored values into existing parameters of the same names and sizes. */
function assign(
  params: ReadonlyMap<string, Tensor>,
  values: (key: string) => Float32Array | undefined,
  source: string,
): void {
  for (const [k, t] of params) {
    const v = values(k);
    if (!v || v.length !== t.size)
      throw new Error(`${source}: "${k}" is missing or has ${v?.length ?? 0} values; expected ${t.size}`);
    t.engine.backend.f32().set(v, t.ptr >>> 2);
  }
}

const stored = (params: ReadonlyMap<string, Tensor>): Map<string, StoredTensor> =>
  new Map([...params].map(([k, t]) => [k, { dtype: 'F32', shape: [...t.shape], data: t.toArray() as Float32Array }]));

/** Runs (or resumes) GRPO on the student and saves it to outputDir. */
export async function grpoDenseStudent(o: DenseGrpoOptions): Promise<DenseGrpoResult> {
  const c = resolveGrpoConfig([{ model: 'dense student', output_dir: o.outputDir }, ...o.layers], 'rl student config');
  const e = o.engine,
    maxLen = Math.min(o.config.max_position_embeddings, c.max_prompt_length + c.max_completion_length);
  const resumed = existsSync(join(o.outputDir, LATEST)) ? await loadTrainState(o.outputDir) : undefined;
  const refParams = c.beta > 0 ? cloneParams(o.params) : undefined; // the base, before a resume overwrites the student
  let state: TrainerState = freshTrainerState(new Rng(c.seed).state());
  if (resumed) {
    const saved = (await loadDenseParams(e, o.config, resumed.dir)).params;
    try {
      assign(o.params, (k) => saved.get(k)?.toArray() as Float32Array | undefined, resumed.dir);
    } finally {
      for (const t of saved.values()) t.dispose();
    }
    if (refParams && c.sync_ref_model && existsSync(join(resumed.dir, REF_FILE))) {
      const ref = await readSafetensors(join(resumed.dir, REF_FILE));
      assign(
        refParams,
        (k) => {
          const t = ref.tensors.get(k);
          return t && tensorToFloat32(t);
        },
        join(resumed.dir, REF_FILE),
      );
    }
    state = resumed.state;
    o.onResume?.(state.step, resumed.dir);
  }
  const prior = (state.data_state as DenseDataState | undefined)?.elapsed_sec ?? 0;
  const problemsAt = (state.data_state as DenseDataState | undefined)?.problems;
  const policy = densePolicy(e, o.config, o.params, maxLen);
  const reference = refParams ? { policy: densePolicy(e, o.config, refParams, maxLen), params: refParams } : undefined;
  const optimizer = new AdamW(o.params, {
    lr: c.learning_rate,
    beta1: c.adam_beta1,
    beta2: c.adam_beta2,
    eps: c.adam_epsilon,
    weightDecay: c.weight_decay,
    noDecay: (n) => (o.params.get(n)?.rank ?? 2) < 2,
  });
  if (resumed) restoreOptimizer(optimizer, resumed.optimizer, state.optimizer_step);
  const metrics = new MetricsLog(join(o.outputDir, 'metrics.jsonl')),
    completions = new MetricsLog(join(o.outputDir, 'completions.jsonl'));
  metrics.truncateAfter(state.step);
  completions.truncateAfter(state.step); // curves continue from the checkpoint (a fresh run starts them again)
  const t0 = performance.now(),
    elapsed = () => prior + (performance.now() - t0) / 1000;
  const trainer = new GrpoTrainer(
    {
      engine: e,
      policy,
      params: o.params,
      ...(reference ? { reference } : {}),
      optimizer,
      tokenizer: o.tokenizer,
      template: TEMPLATES[c.template],
      problems: new ProblemStream({
        tasks: c.tasks,
        difficulties: c.difficulties,
        languages: c.languages,
        seed: c.seed,
        ...(problemsAt !== undefined ? { state: problemsAt } : {}),
      }),
      rewards: rewardsByName(c.reward_weights),
      config: c,
      rng: Rng.fromState(state.rng_state),
      metrics,
      completions,
      onEvent: (ev) => {
        if (ev.type === 'step') o.onStep?.(ev.step, ev.reward, ev.accuracy);
      },
      // The loop below runs one step per trainer.run call, which asks for a save each time: keep only the periodic ones.
      save: async (s) => {
        if (!((c.save_steps > 0 && s.step % c.save_steps === 0) || s.step === c.max_steps)) return '';
        const refHook =
          reference && c.sync_ref_model
            ? {
                beforeCommit: (tmp: string) =>
                  writeSafetensors(join(tmp, REF_FILE), stored(reference.params), { role: 'GRPO reference policy' }),
              }
            : {};
        const path = await saveTrainCheckpoint(
          o.outputDir,
          {
            config: o.config,
            params: o.params,
            optimizer,
            state: { ...s, data_state: { ...(s.data_state as DenseDataState), elapsed_sec: elapsed() } },
            runConfig: c,
          },
          refHook,
        );
        await pruneCheckpoints(o.outputDir, c.save_total_limit);
        return path;
      },
    },
    state,
  );
  try {
    while (trainer.state.step < c.max_steps && elapsed() < o.timeBudgetSec) await trainer.run(trainer.state.step + 1);
  } finally {
    policy.dispose();
    reference?.policy.dispose();
    optimizer.dispose();
    if (refParams) for (const p of refParams.values()) p.dispose();
  }
  await saveDenseCheckpoint(o.outputDir, o.config, o.params);
  return { steps: trainer.state.step, seconds: elapsed(), ...(resumed ? { resumedAt: resumed.state.step } : {}) };
}
