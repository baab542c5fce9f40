/** The rejection-sampling loop: an interrupted run resumes from its progress file and ends with the set an uninterrupted run writes. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GroupSampler } from '../../src/eval/evaluate.js';
import { DEFAULT_FILTERS } from '../../src/pipeline/filters.js';
import { sampleAndFilter, type SampleFilterOptions } from '../../src/pipeline/sample-filter.js';
import type { Problem } from '../../src/tasks/types.js';

const problems: Problem[] = Array.from({ length: 10 }, (_, i) => ({
  task: 'arithmetic',
  key: `arithmetic:${i}+1`,
  lang: 'en',
  difficulty: 1,
  prompt: `Calculate ${i} + 1.`,
  answer: String(i + 1),
  data: { a: String(i), b: '1', op: '+' },
}));
// Token ids are answers: 0..20 -> "<think>\ncompute\n</think>\n<answer>{id}</answer>"; 99 is EOS.
const tok = {
  eosId: 99 as number | undefined,
  vocabSize: 1000, // the scripted samplers ignore the sampling limit
  addedTokens: [],
  encode: (s: string) => [Number(/Calculate (\d+)/.exec(s)![1])],
  decode: (ids: ArrayLike<number>) =>
    Array.from(ids, (i) => `<think>\ncompute\n</think>\n<answer>${i}</answer>`).join(''),
};
// Each sample answers prompt + 1 (correct) or prompt + 2 (wrong) at random; some are cut before EOS.
const sampler: GroupSampler = async (prompts, n, _s, rng) =>
  prompts.map(([a]) => {
    const completions = Array.from({ length: n }, () => [
      a! + 1 + (rng.uniform() < 0.5 ? 0 : 1),
      ...(rng.uniform() < 0.8 ? [99] : []),
    ]);
    return { completions, finished: completions.map((c) => c.at(-1) === 99) };
  });

test('an interrupted sampling run resumes at the next batch and writes the same set', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rs-'));
  try {
    const o = (path: string): SampleFilterOptions => ({
      progressPath: path,
      problems,
      sampler,
      tokenizer: tok,
      encode: (p) => tok.encode(p.prompt),
      responsePrefix: '',
      n: 4,
      settings: { temperature: 1, topP: 1, topK: 0, maxNewTokens: 4 },
      seed: 3,
      filters: DEFAULT_FILTERS,
      keepPerPrompt: 1,
      promptsPerBatch: 3,
    });
    const whole = await sampleAndFilter(o(join(dir, 'a.jsonl')));
    assert.equal(whole.stats.candidates, 40);
    assert.equal(whole.stats.kept + Object.values(whole.stats.rejected).reduce((s, x) => s + x, 0), 40);
    assert.ok(whole.stats.rejected.incorrect > 0 && whole.stats.rejected.truncated > 0 && whole.stats.kept > 0);
    assert.ok(
      whole.records.every((r) =>
        r.messages[1]!.content.endsWith(`<answer>${Number(r.key.split(':')[1]!.split('+')[0]) + 1}</answer>`),
      ),
    );
    // Interrupt: keep the first two batches and a torn third line, then run again.
    const lines = readFileSync(join(dir, 'a.jsonl'), 'utf8').split('\n');
    writeFileSync(join(dir, 'b.jsonl'), `${lines.slice(0, 2).join('\n')}\n${lines[2]!.slice(0, 20)}`);
    const resumed = await sampleAndFilter(o(join(dir, 'b.jsonl')));
    assert.deepEqual(resumed, whole);
    assert.deepEqual(
      readFileSync(join(dir, 'b.jsonl'), 'utf8'),
      readFileSync(join(dir, 'a.jsonl'), 'utf8'),
      'the torn line is gone',
    );
    assert.deepEqual(await sampleAndFilter(o(join(dir, 'b.jsonl'))), whole, 'a finished run reads back the same set');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
