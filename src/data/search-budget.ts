/**
 * How far a budget of candidate checks takes the thorough countdown solvers (issue 14, protocol
 * section 4): for held-out problems of each search tier, the share that the forward (`full`) and
 * backward-chaining searches solve within each cap, and the token length of their responses in the
 * R1-Zero layout, encoded as the shards encode a corpus document (src/data/documents.ts, plus the
 * EOS) with the dataset's tokenizer. The cap is the one dial that trades the 4-number tier's solve rate against
 * the context; this puts both sides of that trade in one committed table
 * (`node scripts/r1-zero-corpus.mjs search-budget <dataset>`).
 */
import { join } from 'node:path';
import { searchTrace } from '../tasks/countdown-search.js';
import type { Problem } from '../tasks/types.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { readTestProblems } from '../train/data.js';
import { encodeDocumentParts, r1ZeroDocument } from './documents.js';
import { type LengthStats, lengthStats } from './lengths.js';

/** One tier, mode and cap. */
export interface BudgetRow {
  /** "countdown/<level>" (level 4: 3 numbers, 5: 4 numbers). */
  tier: string;
  mode: 'full' | 'backward';
  cap: number;
  problems: number;
  /** Share of the problems with a verified solution within the cap. */
  solved: number;
  /** Response tokens (the answer and its tags and the EOS included). */
  response: LengthStats;
}

/** The caps measured by default: the corpus's current cap (14) and those around it. */
export const DEFAULT_CAPS: readonly number[] = [8, 14, 20, 24, 28];

/** The budget table of `problems` (countdown search tiers), responses encoded as the shards encode them. */
export function searchBudget(
  problems: readonly Problem[],
  tok: Tokenizer,
  caps: readonly number[] = DEFAULT_CAPS,
): BudgetRow[] {
  const tiers = new Map<string, Problem[]>();
  for (const p of problems) {
    if (p.task !== 'countdown') continue;
    const tier = `countdown/${p.difficulty}`;
    const ps = tiers.get(tier);
    if (ps) ps.push(p);
    else tiers.set(tier, [p]);
  }
  const rows: BudgetRow[] = [];
  for (const [tier, ps] of [...tiers].sort(([a], [b]) => a.localeCompare(b)))
    for (const mode of ['full', 'backward'] as const)
      for (const cap of caps) {
        let solved = 0;
        const lengths = ps.map((p) => {
          const t = searchTrace(p.data.numbers as number[], p.data.target as number, { mode, budget: cap });
          if (t.found) solved++;
          const doc = r1ZeroDocument(p.prompt, t.lines.join('\n'), t.answer);
          return encodeDocumentParts(tok, doc).response.length + 1; // + the EOS the shards add
        });
        rows.push({ tier, mode, cap, problems: ps.length, solved: solved / ps.length, response: lengthStats(lengths) });
      }
  return rows;
}

/** searchBudget over the held-out countdown problems of a built dataset, with its tokenizer. */
export function datasetSearchBudget(datasetDir: string, caps: readonly number[] = DEFAULT_CAPS): BudgetRow[] {
  const tok = loadTokenizer(join(datasetDir, 'tokenizer'));
  const problems = readTestProblems(datasetDir).get('countdown') ?? [];
  if (problems.length === 0) throw new Error(`search-budget: ${datasetDir}/test holds no countdown problems`);
  return searchBudget(problems, tok, caps);
}
