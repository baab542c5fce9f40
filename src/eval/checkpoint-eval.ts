/**
 * Evaluating a DeepSeek-V3 checkpoint on the held-out splits of a `data build` folder: load the
 * model and its tokenizer, take the first `limit` test problems of each task, sample k completions
 * each (src/rl/rollout.ts on the latent cache) and report pass@1 / pass@k / cons@k per task.
 */
import { createBackend } from '../kernels/index.js';
import { disposeParams } from '../models/deepseek-v3/checkpoint.js';
import { deepseekPolicy } from '../rl/policy.js';
import { TEMPLATES, type TemplateName } from '../rl/prompts.js';
import { loadModelFolder } from '../rl/session.js';
import { Engine, Rng } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { evalTokenizerDir, heldOutProblems } from './held-out.js';
import { sampleAndScore, summarize, type ProblemResult, type TaskReport } from './evaluate.js';

export interface CheckpointEvalOptions {
  model: string;
  datasetDir: string;
  tasks?: readonly string[];
  /** Problems per task (first ones of the fixed split). */
  limit: number;
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  template: TemplateName;
  seed: number;
  tokenizer?: string;
  threads?: number;
  promptsPerBatch?: number;
  onProgress?: (task: string, done: number, total: number) => void;
}

export interface CheckpointEval { model: string; options: Omit<CheckpointEvalOptions, 'onProgress'>; reports: TaskReport[]; results: ProblemResult[] }

/** Runs the evaluation; the engine it makes is disposed before returning. */
export async function evaluateCheckpoint(o: CheckpointEvalOptions): Promise<CheckpointEval> {
  const tests = heldOutProblems(o.datasetDir, o.tasks, o.limit);
  const engine = new Engine(await createBackend(o.threads ? { threads: o.threads } : {}));
  const m = await loadModelFolder(engine, o.model);
  try {
    const tokenizer = loadTokenizer(evalTokenizerDir(m.dir, o.datasetDir, o.tokenizer));
    const policy = deepseekPolicy(engine, m.config, m.params);
    const rng = new Rng(o.seed);
    const results: ProblemResult[] = [];
    for (const [task, problems] of tests) {
      results.push(...sampleAndScore(policy.sampleGroups, problems, {
        k: o.k, temperature: o.temperature, topP: o.topP, maxNewTokens: o.maxNewTokens, template: TEMPLATES[o.template], tokenizer, rng,
        ...(o.promptsPerBatch ? { promptsPerBatch: o.promptsPerBatch } : {}),
        onProgress: (done, total) => o.onProgress?.(task, done, total),
      }));
    }
    policy.dispose();
    const { onProgress: _p, ...options } = o;
    return { model: m.dir, options, reports: summarize(results), results };
  } finally {
    disposeParams(m.params);
    engine.backend.dispose();
  }
}
