/**
 * `serve` / `chat` open real Qwen2 / Llama models through openChatModel: a BF16 Hugging Face folder
 * (as init-model writes it: sharded safetensors, byte-level tokenizer with R1's template,
 * generation_config.json) and its Q8_0 GGUF export (tokenizer and template from the metadata),
 * behind the same scheduler and API as DeepSeek-V3. The official openai client gets streaming and
 * non-streaming replies; the R1 template opens `<think>` in the prompt, so the (random) reply is
 * reasoning_content. The split at a real `</think>` is tested with a scripted model in
 * openai-client.test.ts. `eval` opens the same folder and file with compact weights.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { loadAnyCheckpoint } from '../../src/export/checkpoint.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { parseDenseConfig, writeDenseConfig } from '../../src/models/qwen2/config.js';
import { denseInitSpecs, writeByteLevelTokenizer, writeRandomWeights } from '../../src/models/qwen2/init-checkpoint.js';
import { openChatModel } from '../../src/serve/load-model.js';
import { startServer } from '../../src/serve/server.js';
import { writeFileSync } from 'node:fs';
import { openModel } from '../../src/eval/open-model.js';
import { createBackend } from '../../src/kernels/index.js';
import { Engine, Rng } from '../../src/tensor/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dense-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const { config } = parseDenseConfig({
  model_type: 'qwen2',
  vocab_size: 320,
  hidden_size: 64,
  intermediate_size: 128,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 256,
  tie_word_embeddings: false,
});
const folder = join(dir, 'tiny-distill');
await writeRandomWeights(folder, denseInitSpecs(config), 0.2, { dtype: 'BF16', seed: 0, maxShardBytes: 50_000 });
await writeDenseConfig(join(folder, 'config.json'), config);
writeByteLevelTokenizer(folder, 256);
writeFileSync(join(folder, 'generation_config.json'), JSON.stringify({ eos_token_id: [257, 300] }));
const gguf = join(dir, 'tiny-distill-q8.gguf');
await exportGguf(await loadAnyCheckpoint(folder), gguf, { type: 'Q8_0' });

describe('serving a Qwen2 model', () => {
  for (const [label, path] of [
    ['HF folder (BF16)', folder],
    ['GGUF (Q8_0)', gguf],
  ] as const) {
    it(`${label}: the openai client gets streaming and non-streaming replies`, async () => {
      const m = await openChatModel(path, { threads: 1, maxContext: 128 });
      const server = await startServer(m.service, { modelId: m.name, port: 0 });
      try {
        assert.equal(m.hasMtp, false);
        assert.equal(m.service.maxContext, 128);
        if (path === folder) assert.deepEqual([...m.service.stopTokens].sort(), [257, 300]);
        else assert.ok(m.service.stopTokens.includes(257), `stop ids ${m.service.stopTokens}`);
        const client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
        const messages = [{ role: 'user' as const, content: 'What is 2 + 2?' }];
        const r = await client.chat.completions.create({ model: m.name, messages, max_tokens: 6, temperature: 0 });
        const msg = r.choices[0]!.message as { content: string | null; reasoning_content?: string | null };
        assert.equal(
          typeof msg.reasoning_content,
          'string',
          'the prompt opened <think>: the reply starts as reasoning',
        );
        assert.ok(
          r.usage!.completion_tokens >= 1 && r.usage!.completion_tokens <= 6,
          `${r.usage!.completion_tokens} tokens`,
        );
        assert.ok(['stop', 'length'].includes(r.choices[0]!.finish_reason));
        let streamed = '';
        const stream = await client.chat.completions.create({
          model: m.name,
          messages,
          max_tokens: 6,
          temperature: 0,
          stream: true,
        });
        for await (const c of stream)
          for (const ch of c.choices)
            streamed += (ch.delta as { reasoning_content?: string | null }).reasoning_content ?? '';
        assert.equal(streamed, msg.reasoning_content, 'greedy: the same reply streamed');
      } finally {
        await server.close();
        m.dispose();
      }
    });
  }
});

describe('eval opens real Qwen2 models with compact weights', () => {
  for (const [label, path] of [
    ['BF16 folder', folder],
    ['Q8_0 GGUF', gguf],
  ] as const) {
    it(`${label}: greedy groups are identical rows of the requested length`, async () => {
      const engine = new Engine(await createBackend({ threads: 1 }));
      const m = await openModel(engine, path);
      try {
        assert.equal(m.modelType, 'qwen2');
        assert.equal(m.maxContext, 256);
        const s = { temperature: 0, topP: 1, topK: 0, maxNewTokens: 5, stopTokens: [] };
        const [g] = await m.sampler([[257, 40, 41, 42]], 2, s, new Rng(1));
        assert.equal(g!.completions.length, 2);
        assert.equal(g!.completions[0]!.length, 5);
        assert.deepEqual(g!.completions[0], g!.completions[1]);
      } finally {
        m.dispose();
        assert.equal(engine.liveBytes, 0);
        engine.backend.dispose();
      }
    });
  }
});
