/**
 * Corpus traces and SFT records: corrected traces contain the slip, the "wait" and the right
 * step and still verify; wrong traces do not verify; SFT loss masks cover exactly the reply.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTrace } from '../../src/data/traces.js';
import { sftRecord, tokenizeChat } from '../../src/data/sft.js';
import { TASKS } from '../../src/tasks/registry.js';
import { Rng } from '../../src/tasks/rng.js';
import { generateProblems } from '../../src/tasks/splits.js';
import { trainTokenizer } from '../../src/tokenizer/train.js';
import { HfTokenizer } from '../../src/tokenizer/hf-tokenizer.js';
import { r1ZeroDocument } from '../../src/data/documents.js';

test('clean and corrected traces verify, wrong traces do not; corrections say so', () => {
  const rng = new Rng(9);
  for (const task of TASKS) {
    let corrected = 0;
    for (const p of generateProblems({ task, split: 'train', count: 80, seed: 2 })) {
      const sol = task.solve(p);
      const clean = makeTrace(sol, p.lang, 'clean', rng);
      assert.ok(task.verify(p, clean.answer));
      const fix = makeTrace(sol, p.lang, 'corrected', rng);
      assert.ok(task.verify(p, fix.answer), `${p.key}: corrected trace answer ${fix.answer}`);
      if (fix.kind === 'corrected') {
        corrected++;
        assert.match(fix.reasoning, p.lang === 'en' ? /Wait|wait/ : /等/);
        assert.ok(fix.reasoning.split('\n').length === sol.steps.length + 2);
      }
      const bad = makeTrace(sol, p.lang, 'wrong', rng);
      assert.equal(task.verify(p, bad.answer), false, `${p.key}: wrong trace answer ${bad.answer} verifies`);
    }
    assert.ok(corrected > 40, `${task.name}: only ${corrected} corrected traces`);
  }
});

test('SFT tokenization: the mask covers the assistant reply and EOS only, and decodes back', () => {
  const task = TASKS[2]!;
  const problems = generateProblems({ task, split: 'train', count: 50, seed: 1 });
  const rng = new Rng(1);
  const texts = problems.map((p) => {
    const s = task.solve(p);
    return r1ZeroDocument(p.prompt, s.steps.join('\n'), s.answer).text;
  });
  const trained = trainTokenizer(texts, { vocabSize: 600 });
  const tok = new HfTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  const p = problems[0]!;
  const rec = sftRecord(p, makeTrace(task.solve(p), p.lang, 'clean', rng));
  const { ids, mask } = tokenizeChat(rec.messages, tok);
  assert.equal(ids.length, mask.length);
  const first = mask.indexOf(1);
  assert.equal(tok.decode(ids.slice(0, first)), `<｜begin▁of▁sentence｜><｜User｜>${p.prompt}<｜Assistant｜>`);
  assert.equal(tok.decode(ids.slice(first)), `${rec.messages[1]!.content}<｜end▁of▁sentence｜>`);
  assert.ok(mask.slice(first).every((m) => m === 1));
  assert.equal(ids[ids.length - 1], tok.eosId);
  // the user's "<think>" stays text; the reply's is the added token
  const thinkId = tok.tokenToId('<think>')!;
  assert.ok(!ids.slice(0, first).includes(thinkId));
  assert.equal(ids[first], thinkId);
});
