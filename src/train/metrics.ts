/**
 * Metrics as JSONL beside the checkpoints (`<output_dir>/metrics.jsonl`), one record per line:
 * {"type": "train", "step": 10, "loss": ..., "lr": ..., ...} or {"type": "eval", ...}.
 * Lines are appended as they come (a crash loses at most the line being written); on resume the
 * file is first cut back, atomically, to the records at or before the checkpoint's step, so the
 * curve of a resumed run is the curve of an uninterrupted one.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';

/** One metrics record. */
export type MetricsRecord = { type: string; step: number } & Record<string, unknown>;

/** Appends records to a JSONL file. */
export class MetricsLog {
  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
  }

  append(record: MetricsRecord): void {
    appendFileSync(this.path, `${JSON.stringify(record)}\n`);
  }

  /** Keeps only records with step <= `step` (a torn last line is dropped too). */
  truncateAfter(step: number): void {
    if (!existsSync(this.path)) return;
    const kept = readMetrics(this.path, true).filter((r) => r.step <= step);
    const tmp = `${this.path}.tmp-${process.pid}`;
    writeFileSync(tmp, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    renameSync(tmp, this.path);
  }
}

/** Reads a metrics file; `lenient` skips unparsable lines (a torn tail), else they are errors. */
export function readMetrics(path: string, lenient = false): MetricsRecord[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`metrics: cannot read ${path}: ${(err as Error).message}`);
  }
  const out: MetricsRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const r = JSON.parse(line) as MetricsRecord;
      if (typeof r !== 'object' || r === null || typeof r.step !== 'number')
        throw new Error('expected an object with a numeric "step"');
      out.push(r);
    } catch (err) {
      if (!lenient) throw new Error(`metrics: ${path}:${i + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}
