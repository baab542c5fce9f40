/**
 * `bench serve`: serving figures over real HTTP on loopback (the bounded client loop):
 * single-stream time to first token and decode tokens/s, aggregate tokens/s with 1, 4 and 16
 * concurrent streaming clients (continuous batching at work), and MTP speculative decoding's
 * acceptance and speed-up measured in the engine (same greedy tokens with and without drafts).
 * Default model: bench-small (shared/bench/bench-small.json) with seeded random weights and a
 * tokenizer trained here; random weights make MTP acceptance meaningless, so pass a trained
 * checkpoint folder (with an MTP module) for the MTP figures that matter.
 */
import { createBackend, type BackendKind } from '../kernels/index.js';
import { disposeParams, initParams } from '../models/deepseek-v3/checkpoint.js';
import type { DeepseekV3Config } from '../models/deepseek-v3/config.js';
import { DeepseekV3 } from '../models/deepseek-v3/model.js';
import { getPreset } from '../models/deepseek-v3/presets.js';
import { DeepseekV3LM } from '../inference/deepseek-adapter.js';
import { Scheduler } from '../inference/scheduler.js';
import { ChatService, greedyRequest } from '../serve/chat-service.js';
import { openChatModel } from '../serve/load-model.js';
import { startServer } from '../serve/server.js';
import { Engine, Rng } from '../tensor/index.js';
import { HfTokenizer } from '../tokenizer/hf-tokenizer.js';
import { trainTokenizer } from '../tokenizer/train.js';

/** Options of benchServe. */
export interface ServeBenchOptions {
  /** Model folder; default bench-small with seeded random weights. */
  model?: string;
  /** Concurrent client counts (default 1, 4, 16). */
  clients?: number[];
  /** Tokens per reply (default 64). */
  maxTokens?: number;
  backend?: BackendKind;
  threads?: number;
}

/** One concurrency level. */
export interface ConcurrencyFigures {
  clients: number;
  tokens_per_s: number;
  ttft_ms_mean: number;
  completion_tokens: number;
}

/** What benchServe measures. */
export interface ServeBenchResult {
  model: string;
  single: { ttft_ms: number; decode_tokens_per_s: number };
  concurrent: ConcurrencyFigures[];
  /** Aggregate tokens/s at the largest client count over single-stream tokens/s. */
  scaling: number;
  mtp: {
    acceptance: number;
    speedup: number;
    plain_tokens_per_s: number;
    speculative_tokens_per_s: number;
    identical: boolean;
  } | null;
}

const PROMPT = 'Solve step by step: what is 12 + 30?';

/** One streaming client: time to first delta, completion tokens (from the usage chunk), end time. */
async function streamOnce(
  url: string,
  model: string,
  maxTokens: number,
): Promise<{ ttft: number; tokens: number; end: number; start: number }> {
  const start = performance.now();
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      model,
      messages: [{ role: 'user', content: PROMPT }],
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: maxTokens,
      temperature: 0,
    }),
  });
  if (!res.ok || !res.body) throw new Error(`bench serve: HTTP ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader(),
    dec = new TextDecoder();
  let buf = '',
    ttft = 0,
    tokens = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const data = buf.slice(6, cut);
      buf = buf.slice(cut + 2);
      if (data === '[DONE]') continue;
      const chunk = JSON.parse(data) as {
        choices: Array<{ delta: { content?: string | null; reasoning_content?: string | null } }>;
        usage?: { completion_tokens: number } | null;
      };
      if (!ttft && chunk.choices.some((c) => c.delta.content || c.delta.reasoning_content))
        ttft = performance.now() - start;
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  }
  return { ttft, tokens, start, end: performance.now() };
}

/** bench-small with seeded random weights plus a tokenizer trained on a few lines. */
function randomBenchSmall(
  engine: Engine,
  mtp: boolean,
): { model: DeepseekV3; tokenizer: HfTokenizer; config: DeepseekV3Config } {
  const config: DeepseekV3Config = { ...getPreset('bench-small'), num_nextn_predict_layers: mtp ? 1 : 0 };
  const t = trainTokenizer([PROMPT, 'Twelve plus thirty is forty-two. The answer is 42.'], {
    vocabSize: config.vocab_size,
  });
  return {
    model: new DeepseekV3(engine, config, initParams(engine, config, new Rng(1))),
    tokenizer: new HfTokenizer(t.tokenizerJson, t.tokenizerConfig),
    config,
  };
}

/** Runs the serving benchmark. */
export async function benchServe(opts: ServeBenchOptions = {}): Promise<ServeBenchResult> {
  const clients = opts.clients ?? [1, 4, 16],
    maxTokens = opts.maxTokens ?? 64;
  const maxSlots = clients.reduce((a, b) => Math.max(a, b), -Infinity);
  let service: ChatService, name: string, dispose: () => void;
  if (opts.model) {
    const m = await openChatModel(opts.model, { backend: opts.backend, threads: opts.threads, maxSlots, mtp: false });
    ({ service, name } = m);
    dispose = m.dispose;
  } else {
    const backend = await createBackend({ kind: opts.backend ?? 'auto', threads: opts.threads });
    const engine = new Engine(backend);
    const { model, tokenizer } = randomBenchSmall(engine, true);
    const lm = new DeepseekV3LM(model, { maxSlots, mtp: false });
    service = new ChatService(new Scheduler(lm), tokenizer, []); // no stop token: every reply runs max_tokens
    name = 'bench-small';
    dispose = () => {
      lm.dispose();
      model.dispose();
      disposeParams(model.params as Map<string, never>);
      backend.dispose();
    };
  }
  const server = await startServer(service, { modelId: name, port: 0 });
  try {
    await Promise.all([1, 2].map(() => streamOnce(server.url, name, maxTokens))); // warm-up (JIT, kernels)
    const concurrent: ConcurrencyFigures[] = [];
    let single = { ttft_ms: 0, decode_tokens_per_s: 0 };
    for (const c of clients) {
      const t0 = performance.now();
      const runs = await Promise.all(Array.from({ length: c }, () => streamOnce(server.url, name, maxTokens)));
      const wall = (performance.now() - t0) / 1000;
      const tokens = runs.reduce((a, r) => a + r.tokens, 0);
      concurrent.push({
        clients: c,
        tokens_per_s: tokens / wall,
        ttft_ms_mean: runs.reduce((a, r) => a + r.ttft, 0) / c,
        completion_tokens: tokens,
      });
      if (c === 1) {
        const r = runs[0]!;
        single = { ttft_ms: r.ttft, decode_tokens_per_s: (r.tokens - 1) / ((r.end - r.start - r.ttft) / 1000) };
      }
    }
    const first = concurrent[0]!,
      last = concurrent[concurrent.length - 1]!;
    const mtp = await mtpFigures(service, maxTokens);
    return { model: name, single, concurrent, scaling: last.tokens_per_s / first.tokens_per_s, mtp };
  } finally {
    await server.close();
    dispose();
  }
}

/** Greedy generation of one prompt with and without MTP drafts on the same model. */
async function mtpFigures(service: ChatService, maxTokens: number): Promise<ServeBenchResult['mtp']> {
  const lm = service.scheduler.model as DeepseekV3LM;
  if (lm.model.config.num_nextn_predict_layers === 0) return null;
  const prompt = service.prepare(greedyRequest([{ role: 'user', content: PROMPT }])).prompt.ids;
  const run = async (speculative: boolean) => {
    const spec = new DeepseekV3LM(lm.model, { maxSlots: 1, mtp: speculative, maxContext: lm.maxContext });
    const s = new Scheduler(spec, { speculative });
    const t0 = performance.now();
    const out: number[] = [];
    for await (const t of s.submit(prompt, {
      temperature: 0,
      maxNewTokens: maxTokens,
      vocabLimit: service.tokenizer.vocabSize,
    }))
      out.push(t.token);
    const secs = (performance.now() - t0) / 1000;
    spec.dispose();
    return { out, tps: out.length / secs, acceptance: s.acceptanceRate };
  };
  const plain = await run(false),
    spec = await run(true);
  return {
    acceptance: spec.acceptance,
    speedup: spec.tps / plain.tps,
    plain_tokens_per_s: plain.tps,
    speculative_tokens_per_s: spec.tps,
    identical: plain.out.join() === spec.out.join(),
  };
}
