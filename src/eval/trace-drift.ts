/**
 * Whether a built dataset's traces were written by the trace code that runs now. Teacher-forced step
 * accuracy (step-accuracy.ts) scores a base on reference traces that it regenerates with today's
 * solvers, so measuring a base trained on an older trace grammar gives figures that look valid and
 * are not (issue 14, iteration 5: a check accuracy of 0% for a base whose check line had a different
 * form). The corpus holds the answer: its clean documents in the solvers' reference modes (the full
 * countdown search, the checked arithmetic columns) in the R1-Zero layout with the problem's own
 * prompt are exactly what `buildDatasetDocText` writes for the same training problem, so regenerating
 * them and comparing says whether the grammar moved.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CorpusDoc } from '../data/build.js';
import { readJsonl } from '../data/jsonl.js';
import type { Problem } from '../tasks/types.js';
import { buildDatasetDocText } from '../train/doc-text.js';

/** Corpus modes whose documents equal the tasks' solve() traces. */
const REFERENCE_MODES: ReadonlySet<string> = new Set(['full', 'checked']);

/** Comparison of a dataset's reference-mode documents with the traces today's code writes. */
export interface TraceDrift {
  /** Documents compared, per mode. */
  compared: Record<string, number>;
  /** Documents whose text differs from today's trace, per mode. */
  differing: Record<string, number>;
  /** Key of the first differing document, if any. */
  firstDiffering?: string;
}

/** Compare up to `limit` reference-mode documents of `datasetDir`'s corpus with today's traces. */
export function traceDrift(datasetDir: string, limit = Number.POSITIVE_INFINITY): TraceDrift {
  const corpusPath = join(datasetDir, 'corpus.jsonl');
  if (!existsSync(corpusPath)) throw new Error(`trace drift: ${corpusPath} not found (is ${datasetDir} a dataset?)`);
  const problems = new Map<string, Problem>();
  for (const task of ['countdown', 'arithmetic']) {
    const path = join(datasetDir, 'train', `${task}.jsonl`);
    if (existsSync(path)) for (const p of readJsonl(path) as Problem[]) problems.set(p.key, p);
  }
  const out: TraceDrift = { compared: {}, differing: {} };
  let n = 0;
  for (const d of readJsonl(corpusPath) as CorpusDoc[]) {
    if (n >= limit) break;
    if (d.kind !== 'clean' || d.layout !== undefined || d.mode === undefined || !REFERENCE_MODES.has(d.mode)) continue;
    const p = problems.get(d.key);
    if (!p || p.prompt !== d.prompt) continue; // a bare-prompt document is not the reference layout
    n++;
    out.compared[d.mode] = (out.compared[d.mode] ?? 0) + 1;
    if (buildDatasetDocText(p).text !== d.text) {
      out.differing[d.mode] = (out.differing[d.mode] ?? 0) + 1;
      out.firstDiffering ??= d.key;
    }
  }
  return out;
}

/** Throw unless the dataset's reference-mode documents exist and all equal today's traces. */
export function assertSameTraceCode(datasetDir: string, limit?: number): TraceDrift {
  const drift = traceDrift(datasetDir, limit);
  const compared = Object.values(drift.compared).reduce((s, v) => s + v, 0);
  if (compared === 0)
    throw new Error(
      `trace drift: ${datasetDir} has no clean full-search or checked-column documents in the R1-Zero layout, ` +
        'so whether its traces match this code cannot be checked',
    );
  if (drift.firstDiffering !== undefined)
    throw new Error(
      `trace drift: ${JSON.stringify(drift.differing)} of ${JSON.stringify(drift.compared)} reference documents of ` +
        `${datasetDir} differ from the traces this code writes (first: ${drift.firstDiffering}); the dataset was ` +
        'built by other trace code, so measure its base with the code that built it',
    );
  return drift;
}
