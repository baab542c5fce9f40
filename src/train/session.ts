/**
 * Sets up a pretraining or SFT run from a resolved run config: backend and engine, tokenizer,
 * model config and weights (fresh from a seed, from `init_from`, or from a checkpoint when
 * resuming), AdamW with restored moments, the batch source at its saved position, held-out
 * evaluation batches, metrics and checkpointing. `runTraining` is what the CLI commands call.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createBackend } from '../kernels/index.js';
import { initParams, loadParams } from '../models/deepseek-v3/checkpoint.js';
import { parseDeepseekV3Config, toConfigJson, type DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { resolveConfig } from '../models/deepseek-v3/presets.js';
import { AdamW } from '../nn/adamw.js';
import { Engine, Rng, type Tensor } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { readJsonl } from '../data/jsonl.js';
import { tokenizeChat, type SftRecord } from '../data/sft.js';
import {
  loadTrainCheckpoint,
  cleanCheckpointLeftovers,
  pruneCheckpoints,
  resolveCheckpoint,
  restoreOptimizer,
  saveTrainCheckpoint,
  type TrainerState,
  freshTrainerState,
} from './checkpoint.js';
import { resolveRunConfig, type RunConfig } from './config.js';
import {
  heldOutBatches,
  heldOutPretrainExamples,
  interleave,
  PretrainSource,
  readTestProblems,
  SftSource,
  type BatchSource,
} from './data.js';
import { heldOutSftRecord } from './doc-text.js';
import { MetricsLog, type MetricsRecord } from './metrics.js';
import { Objective, type TokenBatch } from './objective.js';
import { runPreset } from './presets.js';
import { Trainer, type TrainEvent } from './trainer.js';

export type RunKind = 'pretrain' | 'sft';

export interface RunRequest {
  kind: RunKind;
  /** Config layers in precedence order (preset/file/flags), merged over the defaults. */
  layers: Record<string, unknown>[];
  /** Checkpoint folder or output_dir to resume from. */
  resume?: string;
  onEvent?: (
    e:
      | TrainEvent
      | {
          type: 'start';
          config: RunConfig;
          parameters: number;
          step: number;
          resumedFrom?: string;
          warnings: string[];
        },
  ) => void;
  /** Polled after every step: true saves a checkpoint and ends the run there (Ctrl-C). */
  stopRequested?: () => boolean;
}

const tokenizerDir = (c: RunConfig) => join(c.dataset_dir, 'tokenizer');

/** The tokenizer of the dataset folder, if it has one. */
export function datasetTokenizer(c: RunConfig): Tokenizer | undefined {
  const dir = tokenizerDir(c);
  return existsSync(join(dir, 'tokenizer.json')) ? loadTokenizer(dir) : undefined;
}

/** Model config for a fresh run: run preset (vocab from the tokenizer) or any config argument. */
export async function freshModelConfig(
  c: RunConfig,
  tok: Tokenizer | undefined,
): Promise<{ config: DeepseekV3Config; warnings: string[] }> {
  const preset = runPreset(c.model);
  let json: Record<string, unknown>;
  let warnings: string[] = [];
  if (preset) {
    json = { ...preset.model };
    if (tok)
      json = { ...json, vocab_size: tok.vocabSize, bos_token_id: tok.bosId ?? null, eos_token_id: tok.eosId ?? null };
  } else {
    const r = await resolveConfig(c.model);
    json = toConfigJson(r.config);
    warnings = [...r.warnings];
  }
  return { config: withMtpDepth(json, c), warnings };
}

function withMtpDepth(json: Record<string, unknown>, c: RunConfig): DeepseekV3Config {
  const j = c.mtp_depth === undefined ? json : { ...json, num_nextn_predict_layers: c.mtp_depth };
  const config = parseDeepseekV3Config(j, `model ${c.model}`).config;
  if (c.max_seq_length > config.max_position_embeddings) {
    throw new Error(
      `max_seq_length ${c.max_seq_length} exceeds the model's max_position_embeddings ${config.max_position_embeddings}; lower it`,
    );
  }
  return config;
}

/** AdamW with V3's defaults; 1-D tensors (norms, biases) get no weight decay. */
export function makeOptimizer(params: ReadonlyMap<string, Tensor>, c: RunConfig): AdamW {
  return new AdamW(params, {
    lr: c.learning_rate,
    beta1: c.adam_beta1,
    beta2: c.adam_beta2,
    eps: c.adam_epsilon,
    weightDecay: c.weight_decay,
    noDecay: (name) => (params.get(name)?.rank ?? 2) < 2,
  });
}

function sftExamples(records: readonly SftRecord[], tok: Tokenizer) {
  return records.map((r) => tokenizeChat(r.messages, tok));
}

/** Builds the batch source and the held-out batches of a run. */
export function makeData(
  kind: RunKind,
  c: RunConfig,
  tok: Tokenizer | undefined,
  dataState: unknown,
): { source: BatchSource; evalBatches: TokenBatch[] } {
  const B = c.per_device_train_batch_size,
    T = c.max_seq_length;
  const tests = existsSync(join(c.dataset_dir, 'test')) ? readTestProblems(c.dataset_dir) : new Map();
  if (kind === 'pretrain') {
    const source = new PretrainSource(join(c.dataset_dir, 'shards', 'pretrain'), T, B, c.seed, dataState);
    const evalBatches =
      tok && tests.size ? heldOutBatches(heldOutPretrainExamples(tests, tok), T, B, c.eval_batches, false) : [];
    return { source, evalBatches };
  }
  if (!tok) throw new Error(`sft: ${tokenizerDir(c)} holds no tokenizer.json; SFT needs the tokenizer of the dataset`);
  const path = join(c.dataset_dir, 'sft.jsonl');
  if (!existsSync(path))
    throw new Error(`sft: ${path} does not exist; run \`deepseek-ts data build\` with sft_fraction > 0`);
  const source = new SftSource(sftExamples(readJsonl(path) as SftRecord[], tok), T, B, c.seed, dataState);
  const evalBatches = heldOutBatches(
    sftExamples(interleave(tests).map(heldOutSftRecord), tok),
    T,
    B,
    c.eval_batches,
    true,
  );
  return { source, evalBatches };
}

/** Runs a whole pretraining or SFT job; resolves with the final held-out metrics. */
export async function runTraining(
  req: RunRequest,
): Promise<{ final: MetricsRecord; outputDir: string; config: RunConfig }> {
  // Crash leftovers first: an interrupted same-step save may have to be put back before resolving.
  const cleaned = req.resume ? await cleanCheckpointLeftovers(req.resume) : [];
  const resumed = req.resume ? await resolveCheckpoint(req.resume) : undefined;
  const savedRun = resumed
    ? (JSON.parse(readFileSync(join(resumed, 'run_config.json'), 'utf8')) as Record<string, unknown>)
    : {};
  const presetRun =
    runPreset(String([...req.layers].reverse().find((l) => l.model !== undefined)?.model ?? savedRun.model ?? 'tiny'))
      ?.run ?? {};
  const c = resolveRunConfig([presetRun, savedRun, ...req.layers], `${req.kind} run config`);
  const engine = new Engine(await createBackend(c.threads ? { threads: c.threads } : {}));
  const tok = datasetTokenizer(c);
  const warnings: string[] = [...cleaned];
  if (req.resume !== c.output_dir) for (const line of await cleanCheckpointLeftovers(c.output_dir)) warnings.push(line);
  let config: DeepseekV3Config, params: Map<string, Tensor>, state: TrainerState;
  let optimizerState: Map<string, Float32Array> | undefined;
  const rngFresh = new Rng(c.seed);
  if (resumed) {
    const ck = await loadTrainCheckpoint(engine, resumed);
    ({ config, params, state } = ck);
    optimizerState = ck.optimizer;
  } else {
    if (c.init_from) {
      const dir = existsSync(join(c.init_from, 'config.json')) ? c.init_from : await resolveCheckpoint(c.init_from);
      const base = toConfigJson((await resolveConfig(dir)).config);
      config = withMtpDepth(base, c);
      const loaded = await loadParams(engine, config, dir);
      params = loaded.params;
      for (const item of loaded.warnings) warnings.push(item);
    } else {
      const r = await freshModelConfig(c, tok);
      config = r.config;
      for (const item of r.warnings) warnings.push(item);
      params = initParams(engine, config, rngFresh);
    }
    if (existsSync(join(c.output_dir, 'latest'))) {
      throw new Error(
        `output_dir ${c.output_dir} already holds checkpoints; pass --resume ${c.output_dir} to continue, or choose another --output-dir`,
      );
    }
    state = freshTrainerState(rngFresh.state());
  }
  if (tok && tok.vocabSize > config.vocab_size)
    throw new Error(
      `the tokenizer of ${c.dataset_dir} has ${tok.vocabSize} tokens but the model's vocab_size is ${config.vocab_size}`,
    );
  const optimizer = makeOptimizer(params, c);
  if (optimizerState) restoreOptimizer(optimizer, optimizerState, state.optimizer_step);
  const { source, evalBatches } = makeData(req.kind, c, tok, state.data_state);
  const metrics = new MetricsLog(join(c.output_dir, 'metrics.jsonl'));
  metrics.truncateAfter(state.step);
  const objective = new Objective(engine, config, params, {
    seqAuxAlpha: c.seq_aux_alpha,
    auxLossAlpha: c.aux_loss_alpha,
    mtpLambda: c.mtp_lambda,
    precision: c.precision,
  });
  const rng = Rng.fromState(state.rng_state);
  let parameters = 0;
  for (const p of params.values()) if (p.requiresGrad) parameters += p.size;
  req.onEvent?.({
    type: 'start',
    config: c,
    parameters,
    step: state.step,
    ...(resumed ? { resumedFrom: resumed } : {}),
    warnings,
  });
  const trainer = new Trainer(
    {
      engine,
      objective,
      optimizer,
      source,
      evalBatches,
      rng,
      metrics,
      config: c,
      onEvent: req.onEvent,
      stopRequested: req.stopRequested,
      save: async (s) => {
        const path = await saveTrainCheckpoint(c.output_dir, {
          config,
          params,
          optimizer,
          state: s,
          runConfig: c,
          tokenizerDir: tok ? tokenizerDir(c) : undefined,
        });
        await pruneCheckpoints(c.output_dir, c.save_total_limit);
        return path;
      },
    },
    state,
  );
  try {
    const final = await trainer.run();
    return { final, outputDir: c.output_dir, config: c };
  } finally {
    objective.dispose();
    optimizer.dispose();
    for (const p of params.values()) {
      p.grad?.dispose();
      p.dispose();
    }
    engine.backend.dispose();
  }
}
