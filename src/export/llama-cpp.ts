/**
 * Running an exported GGUF in llama.cpp itself through the optional npm package node-llama-cpp
 * (a devDependency, pinned 3.21.1; it ships prebuilt CPU binaries), for verification and the
 * decode benchmark: next-token log-probabilities, greedy continuations and decode tokens/s.
 *
 * The package is imported dynamically by name, so builds and installs without it still work;
 * `loadLlamaCpp` then throws saying how to install it. Contexts use an F32 KV cache and no flash
 * attention, so a comparison with this project's float32 model measures the weights and the
 * graph, not llama.cpp's default F16 cache rounding. Log-probabilities come from the
 * probabilities node-llama-cpp returns for greedy sampling (a softmax over all raw logits).
 */

/** The parts of node-llama-cpp used here (structural, so no compile-time dependency). */
interface NlcSequence {
  controlledEvaluate(
    input: (number | [number, { generateNext?: { probabilities?: boolean; token?: boolean } }])[],
  ): Promise<({ next: { token?: number | null; probabilities?: Map<number, number> } } | undefined)[]>;
  clearHistory(): Promise<void>;
  dispose(): void;
}
interface NlcContext {
  getSequence(): NlcSequence;
  dispose(): Promise<void>;
}
interface NlcModel {
  createContext(o: Record<string, unknown>): Promise<NlcContext>;
  tokenize(text: string, specialTokens?: boolean): number[];
  dispose(): Promise<void>;
}
interface NlcLlama {
  loadModel(o: { modelPath: string; vocabOnly?: boolean }): Promise<NlcModel>;
  dispose(): Promise<void>;
}
interface NlcModule {
  getLlama(o: Record<string, unknown>): Promise<NlcLlama>;
  LlamaLogLevel: Record<string, unknown>;
}

/** A GGUF model loaded in llama.cpp with one context of `sequences` parallel sequences. */
export interface LlamaCppModel {
  readonly sequences: NlcSequence[];
  readonly vocabSize: number;
  /** llama.cpp's tokenization of `text` (no BOS added; special-token text parsed when `special`). */
  tokenize(text: string, special?: boolean): number[];
  dispose(): Promise<void>;
}

/** True when node-llama-cpp can be imported here. */
export async function llamaCppAvailable(): Promise<boolean> {
  return importNlc().then(
    () => true,
    () => false,
  );
}

async function importNlc(): Promise<NlcModule> {
  const name = 'node-llama-cpp';
  return (await import(name)) as NlcModule;
}

/** Loads `path` in llama.cpp (CPU). Throws a clear error when node-llama-cpp is missing. */
export async function loadLlamaCpp(
  path: string,
  opts: { vocabSize: number; contextSize?: number; sequences?: number; threads?: number },
): Promise<LlamaCppModel> {
  let nlc: NlcModule;
  try {
    nlc = await importNlc();
  } catch (err) {
    throw new Error(
      `node-llama-cpp is not installed (${(err as Error).message}); install it with: npm run tools (the pinned version, CPU build only)`,
    );
  }
  const llama = await nlc.getLlama({
    gpu: false,
    build: 'never',
    logLevel: nlc.LlamaLogLevel.error,
    ...(opts.threads ? { maxThreads: opts.threads } : {}),
  });
  const model = await llama.loadModel({ modelPath: path });
  const n = opts.sequences ?? 1;
  const context = await model.createContext({
    contextSize: opts.contextSize ?? 256,
    sequences: n,
    batchSize: Math.max(64, opts.contextSize ?? 256),
    experimentalKvCacheKeyType: 'F32',
    experimentalKvCacheValueType: 'F32',
    flashAttention: false,
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
  const sequences = Array.from({ length: n }, () => context.getSequence());
  return {
    sequences,
    vocabSize: opts.vocabSize,
    tokenize: (text: string, special = false) => [...model.tokenize(text, special)],
    async dispose() {
      for (const s of sequences) s.dispose();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** Loads only the vocabulary of a GGUF (no tensors needed) and returns llama.cpp's tokenizer. */
export async function loadLlamaCppTokenizer(
  path: string,
): Promise<{ tokenize(text: string, special?: boolean): number[]; dispose(): Promise<void> }> {
  const nlc = await importNlc().catch((err: Error) => {
    throw new Error(
      `node-llama-cpp is not installed (${err.message}); install it with: npm run tools (the pinned version, CPU build only)`,
    );
  });
  const llama = await nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.disabled });
  const model = await llama.loadModel({ modelPath: path, vocabOnly: true });
  return {
    tokenize: (text: string, special = false) => [...model.tokenize(text, special)],
    async dispose() {
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** log p(next | prefix) from node-llama-cpp's probability map, as a dense array (-Infinity for 0). */
function logProbs(map: Map<number, number>, vocab: number): Float32Array {
  const out = new Float32Array(vocab).fill(-Infinity);
  for (const [tok, p] of map) out[tok] = Math.log(p);
  return out;
}

/** Evaluates `tokens` from an empty history; returns log-probabilities of the next token at each position. */
export async function llamaLogProbs(m: LlamaCppModel, tokens: readonly number[], seq = 0): Promise<Float32Array[]> {
  const s = m.sequences[seq]!;
  await s.clearHistory();
  const res = await s.controlledEvaluate(tokens.map((t) => [t, { generateNext: { probabilities: true } }]));
  return res.map((r, i) => {
    const p = r?.next.probabilities;
    if (!p) throw new Error(`llama.cpp returned no probabilities at position ${i}`);
    return logProbs(p, m.vocabSize);
  });
}

/** Greedy continuation of `prompt` by `n` tokens in sequence `seq` (from an empty history). */
export async function llamaGreedy(m: LlamaCppModel, prompt: readonly number[], n: number, seq = 0): Promise<number[]> {
  const s = m.sequences[seq]!;
  await s.clearHistory();
  const out: number[] = [];
  let input: (number | [number, { generateNext: { token: boolean } }])[] = [
    ...prompt.slice(0, -1),
    [prompt[prompt.length - 1]!, { generateNext: { token: true } }],
  ];
  for (let i = 0; i < n; i++) {
    const res = await s.controlledEvaluate(input);
    const tok = res[res.length - 1]?.next.token;
    if (tok === undefined || tok === null) throw new Error(`llama.cpp produced no token at step ${i}`);
    out.push(tok);
    input = [[tok, { generateNext: { token: true } }]];
  }
  return out;
}

/** Greedy decode throughput: all sequences decode `tokens` after `prompt` concurrently (llama.cpp batches them). */
export async function llamaDecodeTokensPerSecond(
  m: LlamaCppModel,
  prompts: readonly (readonly number[])[],
  tokens: number,
): Promise<{ tokensPerS: number; prefillMs: number }> {
  for (const s of m.sequences) await s.clearHistory();
  const t0 = performance.now();
  const first = await Promise.all(
    prompts.map((p, i) =>
      m.sequences[i]!.controlledEvaluate([...p.slice(0, -1), [p[p.length - 1]!, { generateNext: { token: true } }]]),
    ),
  );
  const t1 = performance.now();
  let next = first.map((r) => r[r.length - 1]!.next.token!);
  for (let step = 1; step < tokens; step++) {
    const res = await Promise.all(
      next.map((tok, i) => m.sequences[i]!.controlledEvaluate([[tok, { generateNext: { token: true } }]])),
    );
    next = res.map((r) => r[0]!.next.token!);
  }
  const decodeMs = performance.now() - t1;
  return { tokensPerS: (prompts.length * (tokens - 1)) / (decodeMs / 1000), prefillMs: t1 - t0 };
}
