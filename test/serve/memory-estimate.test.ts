/**
 * The shared memory estimator (issue 17, defect 4): absurd configs are refused before anything is
 * allocated, with the numbers and the field to change; RoPE tables are sized to the served
 * context; a caller offering quantizations is told which one fits.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkMemory,
  deepseekMemoryParts,
  deepseekWeightElements,
  MemoryLimitError,
} from '../../src/inference/memory-estimate.js';
import type { DeepseekV3LM } from '../../src/inference/deepseek-adapter.js';
import { createReferenceBackend } from '../../src/kernels/index.js';
import { disposeParams, initParams, saveCheckpoint } from '../../src/models/deepseek-v3/checkpoint.js';
import { checkpointTensors } from '../../src/models/deepseek-v3/params.js';
import { openChatModel } from '../../src/serve/load-model.js';
import { Engine, Rng } from '../../src/tensor/index.js';
import { saveTokenizer } from '../../src/tokenizer/tokenizer-json.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { tinyConfig } from '../models/fixtures.js';

const serve = { slots: 16, context: 96, contextField: '--max-context' };

test('weight elements match the full tensor list (MoE, MTP, tied or not) without building it per expert', () => {
  for (const o of [{}, { num_nextn_predict_layers: 1 }, { tie_word_embeddings: true }]) {
    const c = tinyConfig(o);
    const exact = checkpointTensors(c).reduce((a, t) => a + (t.sharedWith ? 0 : t.shape.reduce((x, y) => x * y, 1)), 0);
    assert.equal(deepseekWeightElements(c), exact, JSON.stringify(o));
  }
});

test('num_hidden_layers 1e6 and n_routed_experts 1e6 are refused at once, naming the field', () => {
  for (const [field, value] of [
    ['num_hidden_layers', 1e6],
    ['n_routed_experts', 1e6],
  ] as const) {
    const t0 = Date.now();
    assert.throws(
      () => checkMemory({ source: 'cfg', parts: deepseekMemoryParts(tinyConfig({ [field]: value }), serve) }),
      (e: unknown) => e instanceof MemoryLimitError && new RegExp(`GiB.*reduce ${field}`).test((e as Error).message),
    );
    assert.ok(Date.now() - t0 < 5000, `${field}: ${Date.now() - t0} ms`);
  }
});

test('a context of 1e9 positions is refused naming the context field; a quantization that fits is named', () => {
  assert.throws(
    () =>
      checkMemory({
        source: 'cfg',
        parts: deepseekMemoryParts(tinyConfig(), { ...serve, context: 1e9, contextField: 'max_position_embeddings' }),
      }),
    /kv_cache .*1000000000 tokens.*reduce max_position_embeddings or --max-slots/,
  );
  const parts = [{ what: 'weights' as const, bytes: 6e9 * 4, detail: '6e9 x 4', field: 'num_hidden_layers' }];
  assert.throws(
    () =>
      checkMemory({
        source: 'q',
        parts,
        quantizations: {
          weightElements: 6e9,
          options: [
            { name: 'Q8_0', bytesPerElement: 34 / 32 },
            { name: 'Q4_K', bytesPerElement: 144 / 256 },
          ],
        },
      }),
    /Quantized as Q4_K the weights would fit/,
  );
});

test('openChatModel refuses max_position_embeddings 1e9 before allocating; RoPE is built for the served context', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'deepseek-ts-mem-'));
  try {
    const t = trainTokenizer(['hello there'], { vocabSize: 300 });
    saveTokenizer(dir, t.tokenizerJson, t.tokenizerConfig);
    const e = new Engine(createReferenceBackend());
    const small = tinyConfig({ vocab_size: 320, max_position_embeddings: 96 });
    const params = initParams(e, small, new Rng(1));
    await saveCheckpoint(dir, small, params);
    const m = await openChatModel(dir, { backend: 'reference', maxContext: 32 });
    assert.equal((m.service.scheduler.model as DeepseekV3LM).model.rope.maxLen, 32);
    m.dispose();
    await saveCheckpoint(dir, tinyConfig({ vocab_size: 320, max_position_embeddings: 1e9 }), params);
    disposeParams(params);
    e.backend.dispose();
    await assert.rejects(
      openChatModel(dir, { backend: 'reference' }),
      /reduce max_position_embeddings \(or pass --max-context\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
