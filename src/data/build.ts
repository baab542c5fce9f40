/**
 * `data build`: one command from a config to everything later stages read:
 *   test/<task>.jsonl      held-out problems (fixed by the seed; never in training)
 *   train/<task>.jsonl     training problems (prompts + ground truth, for RL)
 *   corpus.jsonl           pretraining documents: R1-Zero-template traces of mixed quality (with `traces`: the
 *                          solver-mode traces of the R1-Zero corpus; with `chat_layout`: a share in R1's chat layout)
 *   test/off-task.jsonl    held-out off-task questions, with `off_task` (their training share is in the corpus)
 *   sft.jsonl              chat-form SFT records from clean and self-corrected traces
 *   tokenizer/             when the config asks to train one
 *   shards/pretrain/       token shards of the corpus, when a tokenizer is configured
 *   manifest.json          the resolved config and counts
 */
import { dirname, join } from 'node:path';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { getTask } from '../tasks/registry.js';
import { Rng } from '../tasks/rng.js';
import { generateProblems } from '../tasks/splits.js';
import type { Problem } from '../tasks/types.js';
import { OFF_TASK_REASONING, offTask } from '../tasks/off-task.js';
import { HfTokenizer, loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { saveTokenizer, writeJsonAtomic } from '../tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../tokenizer/train.js';
import { DEEPSEEK_SPLIT_PATTERNS, SINGLE_DIGIT_SPLIT_PATTERNS } from '../tokenizer/pretokenize.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { DataConfig } from './config.js';
import { writeJsonl } from './jsonl.js';
import { sftRecord, type SftRecord } from './sft.js';
import { ShardWriter } from './shards.js';
import { hasModeTrace, modeTrace } from './reasoning-traces.js';
import { makeTrace, type Trace, type TraceKind } from './traces.js';
import { chatDocument, type DocumentText, documentSegments, encodeDocument, r1ZeroDocument } from './documents.js';
import { R1_ADDED_TOKENS } from '../tokenizer/special-tokens.js';

/** One pretraining document. */
export interface CorpusDoc extends DocumentText {
  task: string;
  key: string;
  lang: string;
  kind: TraceKind;
  /** The solver mode of a mode trace (src/data/reasoning-traces.ts). */
  mode?: string;
  /** The problem's difficulty level, for mode traces (the tier of the length tables). */
  difficulty?: number;
}

/** The prompt as a user types it: the task prompt without its format instructions. */
export function barePrompt(prompt: string): string {
  const cut = prompt.indexOf(' Show your work');
  return cut > 0 ? prompt.slice(0, cut) : prompt;
}

function pickKind(rng: Rng, mix: DataConfig['mix']): TraceKind {
  const r = rng.next() * (mix.clean + mix.corrected + mix.wrong);
  return r < mix.clean ? 'clean' : r < mix.clean + mix.corrected ? 'corrected' : 'wrong';
}

/** Progress events for the CLI. */
export type BuildEvent = { stage: string; detail: string };

/** Counts written, for the manifest and the CLI summary. */
export interface BuildSummary {
  out: string;
  test: Record<string, number>;
  train: Record<string, number>;
  corpus: Record<TraceKind, number>;
  /** Mode traces by task tier ("countdown/4") and mode: documents and how many end in a right answer. */
  modes?: Record<string, Record<string, { docs: number; correct: number }>>;
  /** Documents in R1's chat layout. */
  chat_layout?: number;
  sft: number;
  shards?: { dir: string; tokens: number; documents: number; vocab_size: number };
}

/** Builds the dataset described by `config`. */
export function buildDataset(config: DataConfig, onEvent: (e: BuildEvent) => void = () => {}): BuildSummary {
  const out = config.out;
  mkdirSync(out, { recursive: true });
  const summary: BuildSummary = { out, test: {}, train: {}, corpus: { clean: 0, corrected: 0, wrong: 0 }, sft: 0 };
  const corpus: CorpusDoc[] = [];
  const sft: SftRecord[] = [];
  const rng = new Rng(config.seed).fork('corpus');
  const push = (p: Problem, trace: Trace, mode?: string) => {
    const chat = config.chat_layout > 0 && rng.chance(config.chat_layout);
    const prompt =
      config.bare_prompts > 0 && p.task === 'arithmetic' && rng.chance(config.bare_prompts)
        ? barePrompt(p.prompt)
        : p.prompt;
    const d = (chat ? chatDocument : r1ZeroDocument)(prompt, trace.reasoning, trace.answer);
    const doc: CorpusDoc = { task: p.task, key: p.key, lang: p.lang, kind: trace.kind, ...d };
    if (mode !== undefined) {
      doc.mode = mode;
      doc.difficulty = p.difficulty;
    }
    if (chat) {
      summary.chat_layout = (summary.chat_layout ?? 0) + 1;
    }
    corpus.push(doc);
    summary.corpus[trace.kind]++;
  };
  for (const [name, spec] of Object.entries(config.tasks)) {
    const task = getTask(name);
    const common = { task, seed: config.seed, difficulties: spec.difficulties, langs: config.languages };
    const test = generateProblems({ ...common, split: 'test', count: spec.test });
    summary.test[name] = writeJsonl(join(out, 'test', `${name}.jsonl`), test);
    const train = generateProblems({ ...common, split: 'train', count: spec.train });
    summary.train[name] = writeJsonl(join(out, 'train', `${name}.jsonl`), train);
    onEvent({ stage: 'problems', detail: `${name}: ${train.length} train, ${test.length} test` });
    for (const p of train) {
      let trace: Trace, mode: string | undefined;
      if (config.traces && hasModeTrace(p)) {
        const t = modeTrace(p, config.traces, rng);
        trace = t;
        mode = t.mode;
        summary.modes ??= {};
        const byMode = (summary.modes[`${p.task}/${p.difficulty}`] ??= {});
        const m = (byMode[mode] ??= { docs: 0, correct: 0 });
        m.docs++;
        if (t.correct) m.correct++;
      } else trace = makeTrace(task.solve(p), p.lang, pickKind(rng, config.mix), rng);
      push(p, trace, mode);
      if (trace.kind !== 'wrong' && rng.chance(config.sft_fraction)) sft.push(sftRecord(p, trace));
    }
  }
  if (config.off_task) {
    const common = { task: offTask, seed: config.seed, unique: true };
    const test = generateProblems({ ...common, split: 'test', count: config.off_task.test });
    summary.test[offTask.name] = writeJsonl(join(out, 'test', `${offTask.name}.jsonl`), test);
    const train = generateProblems({ ...common, split: 'train', count: config.off_task.train, unique: false });
    summary.train[offTask.name] = train.length;
    for (const p of train) push(p, { kind: 'clean', reasoning: OFF_TASK_REASONING, answer: p.answer });
    onEvent({ stage: 'problems', detail: `off-task: ${train.length} train, ${test.length} test` });
  }
  rng.shuffle(corpus);
  writeJsonl(join(out, 'corpus.jsonl'), corpus);
  summary.sft = writeJsonl(join(out, 'sft.jsonl'), sft);
  onEvent({ stage: 'corpus', detail: `${corpus.length} documents, ${sft.length} SFT records` });

  let tok: Tokenizer | undefined;
  if (config.tokenizer && 'path' in config.tokenizer) {
    tok = loadTokenizer(config.tokenizer.path);
    copyTokenizer(config.tokenizer.path, join(out, 'tokenizer'));
  } else if (config.tokenizer && 'train' in config.tokenizer) {
    const t0 = Date.now();
    const splitPatterns =
      config.tokenizer.train.digits === 'single' ? SINGLE_DIGIT_SPLIT_PATTERNS : DEEPSEEK_SPLIT_PATTERNS;
    const spellings = { addedTokens: R1_ADDED_TOKENS };
    const trained = trainTokenizer(
      corpus.map((d) => {
        const s = documentSegments(spellings, d);
        return [...s.prompt, s.response];
      }),
      { vocabSize: config.tokenizer.train.vocab_size, splitPatterns },
    );
    saveTokenizer(join(out, 'tokenizer'), trained.tokenizerJson, trained.tokenizerConfig);
    tok = new HfTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
    onEvent({
      stage: 'tokenizer',
      detail: `${trained.stats.vocabSize} tokens from ${trained.stats.chars} chars in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
    });
  }
  if (tok) {
    if (tok.eosId === undefined)
      throw new Error('data build: the tokenizer has no eos_token; documents need an end marker');
    const dir = join(out, 'shards', 'pretrain');
    const writer = new ShardWriter(dir, tok.vocabSize, config.shard_tokens);
    let tokens = 0;
    for (const d of corpus) {
      const ids = encodeDocument(tok, d);
      ids.push(tok.eosId);
      tokens += ids.length;
      writer.addDocument(ids);
    }
    writer.finish();
    summary.shards = { dir, tokens, documents: corpus.length, vocab_size: tok.vocabSize };
    onEvent({ stage: 'shards', detail: `${tokens} tokens in ${dir}` });
  }
  writeJsonAtomic(join(out, 'manifest.json'), { config, summary });
  return summary;
}

/**
 * A reused tokenizer (`tokenizer.path`) is copied into the build's tokenizer/ folder, so every build
 * folder is self-contained: training reads `<dataset_dir>/tokenizer` and copies it beside each
 * checkpoint, which GRPO and serving need.
 */
function copyTokenizer(path: string, dir: string): void {
  const json = statSync(path).isDirectory() ? join(path, 'tokenizer.json') : path;
  const cfg = join(dirname(json), 'tokenizer_config.json');
  const parse = (f: string) => JSON.parse(readFileSync(f, 'utf8'));
  mkdirSync(dir, { recursive: true });
  writeJsonAtomic(join(dir, 'tokenizer.json'), parse(json));
  if (existsSync(cfg)) writeJsonAtomic(join(dir, 'tokenizer_config.json'), parse(cfg));
}
