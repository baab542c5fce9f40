/**
 * Verifiers and the expression parser against hostile answers: huge numbers, deep nesting, code,
 * empty and unicode input, division by zero. Each must be rejected (false / null), without an
 * exception, quickly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TASKS } from '../../src/tasks/registry.js';
import { evalExpr, parseNumberAnswer } from '../../src/tasks/expr.js';
import { generateProblems } from '../../src/tasks/splits.js';

const HOSTILE = [
  '9'.repeat(10_000),
  `1${'0'.repeat(10_000)}/1`,
  `${'('.repeat(5000)}1${')'.repeat(5000)}`,
  `${'('.repeat(30)}1${')'.repeat(30)}`,
  `${'-'.repeat(5000)}1`,
  'process.exit()',
  'require("child_process").execSync("rm -rf /")',
  '(() => { while (true) {} })()',
  'constructor.constructor("return process")()',
  '1/0',
  '5/(3-3)',
  '',
  '   ',
  '٣ + ٤',
  '１２',
  '😀',
  '\u0000',
  '\ud800',
  '1e309',
  'Infinity',
  'NaN',
  '0x10',
  '1 2',
  Array(15).fill('99999999999999999999').join(' * '),
  '((((((((((((((((((((((((((1))))))))))))))))))))))))))',
  `1${'*1'.repeat(2000)}`,
];

test('every verifier rejects hostile answers without throwing, in well under a second', () => {
  for (const task of TASKS) {
    const problems = generateProblems({ task, split: 'train', count: 5, seed: 1 });
    const t0 = performance.now();
    for (const p of problems)
      for (const h of HOSTILE)
        assert.equal(task.verify(p, h), false, `${task.name} accepted ${JSON.stringify(h.slice(0, 40))}`);
    assert.ok(performance.now() - t0 < 1000, `${task.name} took ${performance.now() - t0} ms`);
  }
});

test('the expression parser returns null for hostile input and evaluates exactly otherwise', () => {
  for (const h of HOSTILE) assert.equal(evalExpr(h), null, JSON.stringify(h.slice(0, 40)));
  assert.equal(parseNumberAnswer('9'.repeat(10_000)), null);
  const v = evalExpr('(1 + 2) * 3 / 4 - -1');
  assert.ok(v);
  assert.equal(`${v.value.n}/${v.value.d}`, '13/4');
  assert.equal(v.literals.length, 5);
  assert.equal(evalExpr('1 - -1', { allowUnary: false }), null);
  assert.equal(evalExpr('0.1 + 0.2')?.value.d, 10n);
  assert.equal(evalExpr('0.1 + 0.2')?.value.n, 3n);
});
