/**
 * The evaluation of one checkpoint (R1 paper 3, "Evaluation Setup", plus the readability the
 * paper's 2.3 is about), per task and overall ("all"): pass@1 over k samples at temperature 0.6 /
 * top-p 0.95, pass@k, cons@k, the reflection-phrase rate (src/eval/evaluate.ts), greedy accuracy
 * (temperature 0, one sample), average response length in tokens, and the format-violation and
 * language-mixing rates (src/eval/readability.ts) over the k samples. It is the one evaluator of
 * the project: `deepseek-ts eval`, the pipeline's eval stages and (through
 * src/eval/checkpoint-eval.ts) the R1-Zero experiment all run it. Any checkpoint kind opens
 * (src/eval/open-model.ts). The greedy pass can be left out (`greedy: false`; its figure is then
 * NaN, null in JSON); it samples promptsPerBatch * k prompts per batch, the rows of one sampled
 * batch, so it costs about one sampled decoding pass divided by k.
 * Deterministic for a seed: the sampled pass draws from Rng(seed), the greedy one from Rng(seed + 1).
 */
import { createBackend } from '../kernels/index.js';
import { TEMPLATES, type TemplateName } from '../rl/prompts.js';
import type { Problem } from '../tasks/types.js';
import { Engine, Rng } from '../tensor/index.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { CHAT_TASK } from '../tasks/chat.js';
import { generalProblems, type GeneralCounts } from './general.js';
import { evalTokenizerDir, heldOutProblems } from './held-out.js';
import { sampleAndScore, summarize, type GroupSampler, type ProblemResult, type TaskReport } from './evaluate.js';
import { openModel } from './open-model.js';
import { readabilityRates } from './readability.js';

/** One row of the report: a task, or "all". */
export interface EvalRow extends TaskReport {
  greedy_accuracy: number;
  format_violation_rate: number;
  language_mixing_rate: number;
}

export interface ModelEvalSettings {
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  template: TemplateName;
  seed: number;
  /** Problems per task (the first ones of each fixed test split). */
  limit: number;
  /** Run the greedy pass (default true). */
  greedy?: boolean;
  /** Prompts per sampled batch (default 4, src/eval/evaluate.ts). */
  promptsPerBatch?: number;
}

/** What `evaluateModel` writes as JSON. */
export interface ModelEval {
  model: string;
  modelType: string;
  parameters: number;
  settings: ModelEvalSettings;
  rows: EvalRow[];
  /** Every sampled response, scored. */
  results: ProblemResult[];
  /** The greedy response of every problem, scored. */
  greedy: ProblemResult[];
  /** Rows of the general scenarios (src/eval/general.ts), apart from the reasoning tasks' "all". */
  general?: EvalRow[];
  /** Every sampled response to a general-scenario prompt, scored. */
  generalResults?: ProblemResult[];
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Rows per task and "all" from scored sampled and greedy results. */
export function evalRows(
  problems: readonly Problem[],
  results: readonly ProblemResult[],
  greedy: readonly ProblemResult[],
): EvalRow[] {
  const byKey = new Map(problems.map((p) => [`${p.task}\u0000${p.key}`, p]));
  const sampled = summarize(results);
  if (!sampled.some((r) => r.task === 'all'))
    sampled.push({ ...summarize(results.map((r) => ({ ...r, task: 'all' })))[0]!, task: 'all' });
  return sampled.map((row) => {
    const mine = (rs: readonly ProblemResult[]) => (row.task === 'all' ? rs : rs.filter((r) => r.task === row.task));
    const pairs = mine(results).flatMap((r) =>
      r.responses.map((response) => ({ problem: byKey.get(`${r.task}\u0000${r.key}`)!, response })),
    );
    return { ...row, greedy_accuracy: mean(mine(greedy).map((r) => Number(r.correct[0]))), ...readabilityRates(pairs) };
  });
}

/** Evaluates a sampler on problems (grouped by task in the order given). */
export async function evaluateSampler(
  sampler: GroupSampler,
  problems: readonly Problem[],
  s: ModelEvalSettings,
  tokenizer: Pick<Tokenizer, 'encode' | 'decode' | 'eosId' | 'addedTokens' | 'vocabSize'>,
  onProgress?: (phase: string, done: number, total: number) => void,
): Promise<{ rows: EvalRow[]; results: ProblemResult[]; greedy: ProblemResult[] }> {
  const template = TEMPLATES[s.template],
    per = s.promptsPerBatch ?? 4;
  if (!Number.isInteger(per) || per < 1) throw new Error(`promptsPerBatch must be a positive integer, got ${per}`);
  const results = await sampleAndScore(sampler, problems, {
    k: s.k,
    temperature: s.temperature,
    topP: s.topP,
    maxNewTokens: s.maxNewTokens,
    template,
    tokenizer,
    rng: new Rng(s.seed),
    promptsPerBatch: per,
    onProgress: (d, t) => onProgress?.('sampled', d, t),
  });
  const greedy =
    s.greedy === false
      ? []
      : await sampleAndScore(sampler, problems, {
          k: 1,
          temperature: 0,
          topP: 1,
          maxNewTokens: s.maxNewTokens,
          template,
          tokenizer,
          rng: new Rng(s.seed + 1),
          promptsPerBatch: per * s.k,
          onProgress: (d, t) => onProgress?.('greedy', d, t),
        });
  return { rows: evalRows(problems, results, greedy), results, greedy };
}

/** What `evaluateModel` takes: the settings plus the checkpoint, dataset and machine. */
export interface ModelEvalOptions extends ModelEvalSettings {
  model: string;
  datasetDir: string;
  tasks?: readonly string[];
  /** Tokenizer folder (default: the checkpoint's, else the dataset's, src/eval/held-out.ts). */
  tokenizer?: string;
  threads?: number;
  /** Sequences decoded at once (default: every sample of a batch); a cap streams batches through the slots. */
  maxSlots?: number;
  /** Also evaluate general-scenario prompts (chat, direct queries); reported in `general`. */
  general?: GeneralCounts;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/**
 * Rows of the general scenarios, one per scenario: a chat prompt has nothing to verify, so its
 * accuracy figures are NaN and its format, length and language figures are what it measures.
 */
export function generalRows(
  problems: readonly Problem[],
  results: readonly ProblemResult[],
  greedy: readonly ProblemResult[],
): EvalRow[] {
  return evalRows(problems, results, greedy)
    .filter((r) => r.task !== 'all')
    .map((r) =>
      r.task === CHAT_TASK ? { ...r, pass_at_1: NaN, pass_at_k: NaN, cons_at_k: NaN, greedy_accuracy: NaN } : r,
    );
}

/** Loads a checkpoint (any kind, src/eval/open-model.ts) and evaluates it on a dataset's test splits. */
export async function evaluateModel(o: ModelEvalOptions): Promise<ModelEval> {
  const problems = [...heldOutProblems(o.datasetDir, o.tasks, o.limit).values()].flat();
  const engine = new Engine(await createBackend(o.threads ? { threads: o.threads } : {}));
  try {
    const m = await openModel(engine, o.model, o.maxSlots ? { maxSlots: o.maxSlots } : {});
    try {
      const settings: ModelEvalSettings = {
        k: o.k,
        temperature: o.temperature,
        topP: o.topP,
        maxNewTokens: o.maxNewTokens,
        template: o.template,
        seed: o.seed,
        limit: o.limit,
        greedy: o.greedy !== false,
        ...(o.promptsPerBatch ? { promptsPerBatch: o.promptsPerBatch } : {}),
      };
      const tokenizer = loadTokenizer(evalTokenizerDir(m.dir, o.datasetDir, o.tokenizer));
      const r = await evaluateSampler(m.sampler, problems, settings, tokenizer, o.onProgress);
      const general = o.general ? generalProblems(o.general, settings.seed) : [];
      if (general.length === 0)
        return { model: m.dir, modelType: m.modelType, parameters: m.parameters, settings, ...r };
      const g = await evaluateSampler(m.sampler, general, settings, tokenizer, (phase, done, total) =>
        o.onProgress?.(`general ${phase}`, done, total),
      );
      return {
        model: m.dir,
        modelType: m.modelType,
        parameters: m.parameters,
        settings,
        ...r,
        general: generalRows(general, g.results, g.greedy),
        generalResults: g.results,
      };
    } finally {
      m.dispose();
    }
  } finally {
    engine.backend.dispose();
  }
}
