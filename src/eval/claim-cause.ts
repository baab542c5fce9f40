/**
 * Why a countdown response's success claim is false (issue 14): the first fault in its search, read
 * from the trace grammar of src/tasks/countdown-search.ts. The search is replayed on its board (the
 * numbers it may still combine), depth first, as the corpus writes it:
 * - `arithmetic`: a written step ("a op b = [parts = ] r") whose result or split is wrong;
 * - `board`: a step on numbers that are not on the board, a "left ..." list that is not what the
 *   step leaves, or a "Back to ..." a board the search never stood on;
 * - `decision`: a comparison that calls a value equal to a goal it differs from, or to a number
 *   that is not its goal;
 * - `answer`: none of these, so the search found a real solution (or the claim is a check's alone)
 *   and the answer written is not it: the expression was put together wrong.
 * Check lines are not replayed: they restate the solution, and what they restate is the answer.
 * The iteration-4 responses showed the last cause as the largest (protocol.md section 0).
 */

/** The cause of a false claim, as `falseClaimCause` names it. */
export type ClaimCause = 'arithmetic' | 'board' | 'decision' | 'answer';
export const CLAIM_CAUSES: readonly ClaimCause[] = ['arithmetic', 'board', 'decision', 'answer'];

/** "a op b = [parts = ] r" at the start of a line, and what follows (", left x y.", " vs g: ..., no."). */
export const STEP = /^(\d+) ([-+*/]) (\d+) = (?:(\d+(?: [-+] \d+)+) = )?(\d+)(.*)$/;
const LEFT = /^, left ((?:\d+ )*\d+)\.$/;
const VS = /^ vs (\d+)(?::[^,]*(?:, [^,]*)*?)?, (no|equal)[.!]$/;

const key = (xs: readonly number[]) => [...xs].sort((a, b) => a - b).join(' ');

/** The value of the step a op b (NaN for a division by 0). */
export function stepValue(a: number, op: string, b: number): number {
  return op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : b === 0 ? Number.NaN : a / b;
}

/** The value of "p1 + p2 - p3 ..." (the split of a countdown step, "= 80 + 11 ="). */
export function partsValue(parts: string): number {
  const t = parts.split(' ');
  let v = Number(t[0]);
  for (let i = 1; i + 1 < t.length; i += 2) v += (t[i] === '-' ? -1 : 1) * Number(t[i + 1]);
  return v;
}

/** `board` without one a and one b, or null when either is not on it. */
function without(board: readonly number[], a: number, b: number): number[] | null {
  const rest = [...board];
  const i = rest.indexOf(a);
  if (i < 0) return null;
  rest.splice(i, 1);
  const j = rest.indexOf(b);
  if (j < 0) return null;
  rest.splice(j, 1);
  return rest;
}

/**
 * The first fault of a countdown search over `numbers` for `target` (its reasoning lines), or
 * `answer` when the search has none.
 */
export function claimCause(numbers: readonly number[], target: number, reasoning: string): ClaimCause {
  let board = [...numbers];
  // the boards the search stood on, root first; "Back to" returns to one of them
  let path: number[][] = [board];
  let goal = target;
  for (const raw of reasoning.split('\n')) {
    const line = raw.trim();
    const need = /^Need (\d+) from ((?:\d+ )*\d+), since /.exec(line);
    if (need) {
      // backward chaining: a subgoal over the rest of the numbers, searched forward
      const rest = need[2]!.split(' ').map(Number);
      goal = Number(need[1]);
      board = rest;
      path = [board];
      continue;
    }
    const back = /^Back to ((?:\d+ )*\d+)\.$/.exec(line);
    if (back) {
      const to = back[1]!.split(' ').map(Number);
      if (to.length === 1 && to[0] === target) {
        // backward chaining gives up a subgoal and returns to the target
        board = [...numbers];
        path = [board];
        goal = target;
        continue;
      }
      let k = path.length - 1;
      while (k >= 0 && key(path[k]!) !== key(to)) k--;
      if (k < 0) return 'board';
      path = path.slice(0, k + 1);
      board = path[k]!;
      continue;
    }
    const m = STEP.exec(line);
    if (!m) continue;
    const [a, op, b, r] = [Number(m[1]), m[2]!, Number(m[3]), Number(m[5])];
    const rest = without(board, a, b);
    if (!rest) return 'board';
    if (stepValue(a, op, b) !== r || (m[4] !== undefined && partsValue(m[4]) !== r)) return 'arithmetic';
    const left = LEFT.exec(m[6]!);
    if (left) {
      const next = left[1]!.split(' ').map(Number);
      if (key(next) !== key([r, ...rest])) return 'board';
      path.push(next);
      board = next;
      continue;
    }
    const vs = VS.exec(m[6]!);
    if (vs && vs[2] === 'equal' && r !== Number(vs[1])) return 'decision';
    if (vs && vs[2] === 'equal' && Number(vs[1]) !== goal) return 'decision';
  }
  return 'answer';
}
