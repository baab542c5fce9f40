/**
 * The shipped-model questions through the chat API (src/eval/chat-api-eval.ts): the shipped model is
 * served on a loopback port by the real server, each question is one HTTP request, and the report
 * counts every group (bare arithmetic per operation, off-task, fresh countdown) with the replies kept.
 * A few questions and 8 tokens each: this checks the plumbing, not the model.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SHIPPED_MODEL } from '../../src/cli/commands/start.js';
import { writeJsonl } from '../../src/data/jsonl.js';
import { chatApiEval } from '../../src/eval/chat-api-eval.js';
import { arithmetic } from '../../src/tasks/arithmetic.js';
import { offTask } from '../../src/tasks/off-task.js';
import { generateProblems } from '../../src/tasks/splits.js';

const dir = mkdtempSync(join(tmpdir(), 'chat-api-eval-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('every question goes through the chat API; groups count them; bare arithmetic prompts', async () => {
  mkdirSync(join(dir, 'test'));
  writeJsonl(
    join(dir, 'test', 'arithmetic.jsonl'),
    generateProblems({ task: arithmetic, split: 'test', count: 6, seed: 14, difficulties: [4], langs: ['en'] }),
  );
  writeJsonl(
    join(dir, 'test', 'off-task.jsonl'),
    generateProblems({ task: offTask, split: 'test', count: 2, seed: 14, unique: true }),
  );
  const r = await chatApiEval({
    model: SHIPPED_MODEL,
    datasetDir: dir,
    arithmetic: 6,
    offTask: 2,
    countdown: 2,
    countdownSeed: 1014,
    maxTokens: 8,
    threads: 1,
    concurrency: 3,
  });
  assert.equal(r.cases.length, 10);
  const total = Object.values(r.groups).reduce((a, g) => a + g.questions, 0);
  assert.equal(total, 10);
  assert.equal(r.groups['off-task']!.questions, 2);
  assert.equal(r.groups['countdown fresh']!.questions, 2);
  for (const c of r.cases.filter((x) => x.group.startsWith('arithmetic')))
    assert.match(c.question, /^Calculate \d+ [-+*] \d+\.$/, 'the README form, without the format instructions');
  for (const c of r.cases.filter((x) => x.group === 'countdown fresh')) assert.match(c.question, /<answer>/);
  for (const g of Object.values(r.groups)) assert.equal(g.share, g.right / g.questions);
  assert.ok(r.cases.every((c) => typeof c.reasoning === 'string' && typeof c.content === 'string'));
});
