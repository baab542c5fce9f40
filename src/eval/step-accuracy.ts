/**
 * Teacher-forced step accuracy of a base model on held-out traces (issue 14: "report the arithmetic
 * accuracy of the base on held-out traces, per operation and operand size"): each held-out problem's
 * reference trace (the task's solve(), in the R1-Zero layout of the corpus) is run through the model
 * in one prefill, and every token of the reasoning and the answer is scored by whether the model's
 * greedy next-token prediction equals it. Tokens are grouped by the kind of line they sit on (a
 * column addition, a digit product, a countdown candidate...) within a group of documents (an
 * operation and operand sizes, or a countdown tier). `lines` counts lines whose every token is
 * predicted: the chance the model writes that step right given a correct prefix. The decision that
 * ends a comparison ("no." / "equal!" / "Correct." / "Wrong, back.") is scored as a kind of its own
 * (`verdictOf`), split by what the reference decided.
 */
import type { DeepseekV3 } from '../models/deepseek-v3/model.js';
import type { Problem } from '../tasks/types.js';
import { argmax } from '../tensor/index.js';
import { THINK_CLOSE, THINK_OPEN } from '../tokenizer/special-tokens.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { buildDatasetDocText } from '../train/doc-text.js';
import { encodeDocument } from '../data/documents.js';

/** Token and line counts of one kind of step. */
export interface StepCounts {
  tokens: number;
  correct: number;
  lines: number;
  exactLines: number;
  /**
   * Lines whose computed part is predicted exactly: every token but the line's first (which picks
   * the kind of the next step, a branch between solver modes such as "So" or "Check") and, on a
   * countdown candidate, every token after its "=" (which operands to try is the search's choice,
   * what they give is computed).
   */
  exactSteps: number;
}

/** Where the computed part of a line of `kind` starts (characters into the line). */
function computedFrom(line: string, kind: string): number {
  if (kind.startsWith('cd-') && kind !== 'cd-back' && kind !== 'cd-subgoal') return line.indexOf(' = ') + 2;
  return 1;
}

/** The kind of step a trace line is, or 'other'. */
export function lineKind(line: string): string {
  const rules: Array<[RegExp, string]> = [
    [/^\d+ \+ \d+, carry \d:/, 'add-column'],
    [/^\d+ - \d+, borrow \d:/, 'sub-column'],
    [/^\d+ \* \d, carry \d:/, 'mul-digit'],
    [/^\d+ \* \d+ = \d+ \* \d \+ /, 'split'],
    [/^\d+ \* \d0? = \d+\.$/, 'partial-product'],
    [/^\d+ \+ \d+ = \d+\.$/, 'sum'],
    [/^So /, 'result'],
    [/^Check\b/, 'check'],
    [/^\d+ [-+] \d+ = \d+\. Correct\.$/, 'check-result'],
    [/^\d+ \+ \d+ = .*, /, 'cd-add'],
    [/^\d+ - \d+ = .*, /, 'cd-sub'],
    [/^\d+ \* \d+ = .*, /, 'cd-mul'],
    [/^\d+ \/ \d+ = \d+, /, 'cd-div'],
    [/^Back to\b/, 'cd-back'],
    [/^Need \d+ from\b/, 'cd-subgoal'],
  ];
  for (const [re, kind] of rules) if (re.test(line)) return kind;
  return 'other';
}

/**
 * The decision at the end of a comparison line, split off as its own kind so that deciding can be
 * scored apart from computing: "verdict-equal" / "verdict-no" after a countdown candidate ("..., no.",
 * "..., equal!"), "verdict-correct" / "verdict-wrong" after a check (". Correct.", ". Wrong, back.").
 * `at` is where the decision's first token starts (the space before the word), or null if none.
 */
export function verdictOf(line: string): { at: number; kind: string } | null {
  const m = /(?:, (no)\.|, (equal)!|\. (Correct)\.|\. (Wrong), back\.)$/.exec(line);
  if (!m || !/ vs \d+/.test(line)) return null;
  return { at: m.index + 1, kind: `verdict-${(m[1] ?? m[2] ?? m[3] ?? m[4])!.toLowerCase()}` };
}

/** The document group of a held-out problem: an operation with operand digit counts, or a task tier. */
export function problemGroup(p: Problem): string {
  if (p.task === 'arithmetic') return `${p.data.op} ${String(p.data.a).length}x${String(p.data.b).length}`;
  return `${p.task}/${p.difficulty}`;
}

/**
 * Where a document's reasoning starts and ends (characters): inside the response's <think>, not
 * the template's or the prompt's mentions of the tags. Tokens from `end` on are the answer.
 */
export function responseSpan(text: string): { start: number; end: number } {
  const response = text.lastIndexOf(' Assistant:');
  const open = text.indexOf(THINK_OPEN, Math.max(0, response));
  if (response < 0 || open < 0) throw new Error('step accuracy: the document has no "Assistant: <think>" response');
  const start = open + THINK_OPEN.length;
  const close = text.indexOf(THINK_CLOSE, start);
  return { start, end: close < 0 ? text.length : close };
}

/** Step accuracy per document group and line kind. */
export function stepAccuracy(
  model: DeepseekV3,
  tok: Tokenizer,
  problems: readonly Problem[],
): Record<string, Record<string, StepCounts>> {
  const e = model.engine,
    out: Record<string, Record<string, StepCounts>> = {};
  for (const p of problems) {
    const doc = buildDatasetDocText(p),
      text = doc.text;
    const ids = encodeDocument(tok, doc).slice(0, model.rope.maxLen);
    const pieces = ids.map((id) => tok.decode([id]));
    const pred = e.noGrad(() =>
      e.scope(() => Array.from(e.read(argmax(model.forward(e.tensor(ids, [1, ids.length], 'i32')).logits, 2)))),
    ); // (1, T, V) -> (T): teacher-forced prediction of token t+1 at position t
    const { start, end } = responseSpan(text);
    const group = (out[problemGroup(p)] ??= {});
    const lineOk = new Map<number, boolean>();
    const stepOk = new Map<number, boolean>();
    const lineKindAt = new Map<number, string>();
    let pos = 0;
    for (let t = 0; t < ids.length; t++) {
      const at = pos;
      pos += pieces[t]!.length;
      if (t === 0 || at < start) continue;
      let kind: string,
        line: number,
        computed = true;
      if (at >= end) {
        kind = 'answer';
        line = -1;
      } else {
        line = text.lastIndexOf('\n', at - 1) + 1;
        const lineEnd = text.indexOf('\n', line);
        const lineText = text.slice(line, lineEnd < 0 ? undefined : lineEnd);
        kind = lineKind(lineText);
        computed = at - line >= computedFrom(lineText, kind);
        const verdict = verdictOf(lineText);
        if (verdict && at - line >= verdict.at) {
          // the decision is scored as a line of its own kind (keyed half a character past the line start)
          kind = verdict.kind;
          line += 0.5;
        }
      }
      const c = (group[kind] ??= { tokens: 0, correct: 0, lines: 0, exactLines: 0, exactSteps: 0 });
      const ok = pred[t - 1] === ids[t];
      c.tokens++;
      if (ok) c.correct++;
      lineKindAt.set(line, kind);
      lineOk.set(line, (lineOk.get(line) ?? true) && ok);
      stepOk.set(line, (stepOk.get(line) ?? true) && (ok || !computed));
    }
    for (const [line, ok] of lineOk) {
      const c = group[lineKindAt.get(line)!]!;
      c.lines++;
      if (ok) c.exactLines++;
      if (stepOk.get(line)) c.exactSteps++;
    }
  }
  return out;
}
