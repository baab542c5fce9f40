/**
 * `serve` / `chat` open a deepseek2 GGUF file through openChatModel as a DeepSeek-V3 model
 * (src/models/deepseek-v3/gguf-import.ts): the tiny-v3 reference checkpoint and its F32 export give
 * the same greedy reply through the chat service, and the file's name is the model id.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { loadCheckpoint } from '../../src/export/checkpoint.js';
import { exportGguf } from '../../src/export/gguf-export.js';
import { greedyRequest } from '../../src/serve/chat-service.js';
import { openChatModel } from '../../src/serve/load-model.js';
import { tinyV3Checkpoint } from '../export/fixtures.js';

it('a deepseek2 GGUF export replies as its folder does (greedy)', async () => {
  const dir = await tinyV3Checkpoint();
  // a complete tokenizer.json (the export fixture's leaves out the keys a loader needs as null)
  const tj = join(dir, 'tokenizer.json');
  writeFileSync(
    tj,
    JSON.stringify({ normalizer: null, post_processor: null, ...JSON.parse(readFileSync(tj, 'utf8')) }),
  );
  // BOS and EOS as the byte tokens of ids 0 and 1, as the GGUF metadata will name them
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '\u0100', eos_token: '\u0101' }));
  // room for the R1 chat layout in byte tokens (the reference config has 64 positions)
  const cj = join(dir, 'config.json');
  writeFileSync(cj, JSON.stringify({ ...JSON.parse(readFileSync(cj, 'utf8')), max_position_embeddings: 256 }));
  const file = join(dir, 'tiny-v3.gguf');
  await exportGguf(await loadCheckpoint(dir), file, { type: 'F32' });
  const reply = async (path: string) => {
    const m = await openChatModel(path, { threads: 1, maxSlots: 2, mtp: false });
    try {
      const prepared = m.service.prepare(greedyRequest([{ role: 'user', content: '2+2?' }], 8));
      let text = '',
        tokens = 0;
      for await (const ev of m.service.stream(prepared)) {
        if (ev.type === 'delta') text += `${ev.reasoning}|${ev.content}`;
        else tokens = ev.completionTokens;
      }
      return { name: m.name, text, tokens };
    } finally {
      m.dispose();
    }
  };
  const a = await reply(dir),
    b = await reply(file);
  assert.equal(b.name, 'tiny-v3');
  assert.equal(b.text, a.text);
  assert.equal(b.tokens, a.tokens);
  assert.ok(a.tokens >= 1);
});
