/** JSONL files: written atomically (temp file + rename), read with line numbers in errors. */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

/** Writes one JSON value per line to `path`, atomically. */
export function writeJsonl(path: string, rows: Iterable<unknown>): number {
  mkdirSync(dirname(path), { recursive: true });
  const parts: string[] = [];
  for (const r of rows) parts.push(JSON.stringify(r));
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, parts.length ? `${parts.join('\n')}\n` : '');
  renameSync(tmp, path);
  return parts.length;
}

/** Parses every non-empty line of a JSONL file. */
export function readJsonl(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
  const out: unknown[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line));
    } catch (err) {
      throw new Error(`${path}:${i + 1}: invalid JSON: ${(err as Error).message}`);
    }
  });
  return out;
}
