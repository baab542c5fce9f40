/**
 * The shipped model (models/r1-tiny, what `npm start` serves) through the same chat service the
 * server runs: it loads with no warning, its R1-Zero chat template puts the question where it was
 * trained to read it, and greedy replies to the README's questions carry the reasoning apart from the
 * answer: column tapes and a right answer for arithmetic (checked by the task verifier), the honest
 * off-task reply for a greeting. It is the R1-Zero experiment's primed seed 0, exported
 * (recipes/r1-zero-final.yaml, stage export-shipped); its measured accuracy through the chat API is
 * docs/results/r1-zero/shipped-model.json. A retrained or broken model fails here, not in front of a user.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SHIPPED_MODEL } from '../../src/cli/commands/start.js';
import { greedyRequest } from '../../src/serve/chat-service.js';
import { openChatModel, type ChatModel } from '../../src/serve/load-model.js';
import { isOffTaskReply } from '../../src/tasks/off-task.js';

let m: ChatModel;
before(async () => {
  m = await openChatModel(SHIPPED_MODEL, { threads: 1 });
});
after(() => m?.dispose());

async function ask(
  question: string,
  maxTokens: number,
): Promise<{ reasoning: string; content: string; reason: string }> {
  const prepared = m.service.prepare(greedyRequest([{ role: 'user', content: question }], maxTokens));
  let reasoning = '',
    content = '',
    reason = '';
  for await (const e of m.service.stream(prepared)) {
    if (e.type === 'delta') {
      reasoning += e.reasoning;
      content += e.content;
    } else reason = e.reason;
  }
  return { reasoning, content, reason };
}

const answerOf = (content: string) => /<answer>(.*?)<\/answer>/s.exec(content)?.[1]?.trim();

test('the shipped model loads cleanly and works arithmetic out column by column, the README example right', async () => {
  assert.deepEqual(m.warnings, []);
  assert.ok(m.hasMtp, 'the MTP module ships for speculative decoding');
  const cases: [number, string, number][] = [
    [47, '+', 385], // the README's example
    [123, '*', 4],
    [12, '+', 34],
    [58, '+', 27],
    [83, '-', 41],
    [406, '+', 93],
    [75, '-', 18],
  ];
  const wrong: string[] = [];
  for (const [a, op, b] of cases) {
    const r = await ask(`Calculate ${a} ${op} ${b}.`, 600);
    assert.equal(r.reason, 'stop', `${a} ${op} ${b}: the reply ends by itself`);
    assert.match(
      r.reasoning,
      new RegExp(`^${a} \\${op} ${b}, (carry|borrow) 0: `, 'm'),
      `${a} ${op} ${b}: a column tape`,
    );
    const answer = answerOf(r.content);
    assert.match(answer ?? '', /^-?\d+$/, `${a} ${op} ${b}: a tagged number follows the thinking`);
    const want = op === '+' ? a + b : op === '-' ? a - b : a * b;
    if (Number(answer) !== want) wrong.push(`${a} ${op} ${b} = ${answer}`);
  }
  assert.ok(!wrong.some((w) => w.startsWith('47 + 385')), 'the README example is right');
  assert.ok(wrong.length <= 1, `at most one of ${cases.length} wrong: ${wrong.join('; ')}`);
});

test('the shipped model declines a question that is not its task, honestly', async () => {
  const r = await ask('Hello, who are you?', 200);
  assert.equal(r.reason, 'stop');
  assert.ok(isOffTaskReply(answerOf(r.content) ?? ''), `an honest off-task reply: ${JSON.stringify(r.content)}`);
});
