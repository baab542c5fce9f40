/**
 * Token shards on disk: `shard-NNNNN.bin` holds token ids back to back (little-endian uint16 when
 * the vocabulary fits, else uint32), `shard-NNNNN.docs` the uint32 start offset of every document
 * in it, and `index.json` lists the shards with token/document counts and SHA-256 checksums.
 * Documents never straddle shards. Every file is written atomically; reading validates sizes,
 * checksums, offsets and id ranges, and names the bad file when something is off.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const SHARD_FORMAT = 'deepseek-ts-token-shards';

/** index.json of a shard folder. */
export interface ShardIndex {
  format: typeof SHARD_FORMAT;
  version: 1;
  dtype: 'uint16' | 'uint32';
  vocab_size: number;
  shards: Array<{ file: string; docs_file: string; tokens: number; documents: number; sha256: string }>;
}

function writeAtomic(path: string, data: Uint8Array | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Writes documents into shards of about `shardTokens` tokens each. */
export class ShardWriter {
  private readonly dtype: 'uint16' | 'uint32';
  private buf: number[] = [];
  private docStarts: number[] = [];
  private readonly entries: ShardIndex['shards'] = [];
  private finished = false;

  constructor(
    private readonly dir: string,
    private readonly vocabSize: number,
    private readonly shardTokens = 1 << 24,
  ) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1 || vocabSize > 2 ** 32)
      throw new Error(`ShardWriter: vocabSize must be an integer in [1, 2^32], got ${vocabSize}`);
    if (!Number.isInteger(shardTokens) || shardTokens < 1)
      throw new Error(`ShardWriter: shardTokens must be a positive integer, got ${shardTokens}`);
    this.dtype = vocabSize <= 65536 ? 'uint16' : 'uint32';
    mkdirSync(dir, { recursive: true });
  }

  /** Appends one document (its ids, end-of-document token included if wanted). */
  addDocument(ids: ArrayLike<number>): void {
    if (this.finished) throw new Error('ShardWriter: addDocument after finish');
    if (ids.length === 0) return;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize)
        throw new Error(`ShardWriter: token id ${id} at position ${i} is outside [0, ${this.vocabSize})`);
    }
    if (this.buf.length > 0 && this.buf.length + ids.length > this.shardTokens) this.flush();
    this.docStarts.push(this.buf.length);
    for (let i = 0; i < ids.length; i++) this.buf.push(ids[i]!);
  }

  private flush(): void {
    if (this.buf.length === 0) return;
    const name = `shard-${String(this.entries.length).padStart(5, '0')}`;
    const arr = this.dtype === 'uint16' ? Uint16Array.from(this.buf) : Uint32Array.from(this.buf);
    const bytes = new Uint8Array(arr.buffer);
    writeAtomic(join(this.dir, `${name}.bin`), bytes);
    writeAtomic(join(this.dir, `${name}.docs`), new Uint8Array(Uint32Array.from(this.docStarts).buffer));
    this.entries.push({
      file: `${name}.bin`,
      docs_file: `${name}.docs`,
      tokens: this.buf.length,
      documents: this.docStarts.length,
      sha256: sha256(bytes),
    });
    this.buf = [];
    this.docStarts = [];
  }

  /** Flushes the last shard and writes index.json; returns the index. */
  finish(): ShardIndex {
    this.flush();
    this.finished = true;
    const index: ShardIndex = {
      format: SHARD_FORMAT,
      version: 1,
      dtype: this.dtype,
      vocab_size: this.vocabSize,
      shards: this.entries,
    };
    writeAtomic(join(this.dir, 'index.json'), `${JSON.stringify(index, null, 1)}\n`);
    return index;
  }
}

/** One loaded shard: its tokens and document start offsets. */
export interface LoadedShard {
  file: string;
  tokens: Uint16Array | Uint32Array;
  docStarts: Uint32Array;
}

/** Reads and validates index.json and every shard of `dir`. */
export function readShards(dir: string): { index: ShardIndex; shards: LoadedShard[] } {
  const indexPath = join(dir, 'index.json');
  let index: ShardIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as ShardIndex;
  } catch (err) {
    throw new Error(`token shards: cannot read ${indexPath}: ${(err as Error).message}`);
  }
  if (index.format !== SHARD_FORMAT || index.version !== 1 || !Array.isArray(index.shards)) {
    throw new Error(`token shards: ${indexPath} is not a ${SHARD_FORMAT} v1 index`);
  }
  const width = index.dtype === 'uint16' ? 2 : index.dtype === 'uint32' ? 4 : 0;
  if (width === 0)
    throw new Error(`token shards: ${indexPath} has dtype ${JSON.stringify(index.dtype)}; expected uint16 or uint32`);
  const shards = index.shards.map((e) => {
    const path = join(dir, e.file),
      docsPath = join(dir, e.docs_file);
    const read = (p: string) => {
      try {
        return readFileSync(p);
      } catch (err) {
        throw new Error(`token shard ${p}: cannot read: ${(err as Error).message}`);
      }
    };
    const bytes = read(path);
    if (bytes.length !== e.tokens * width)
      throw new Error(
        `token shard ${path} is corrupt: ${bytes.length} bytes, index.json says ${e.tokens} ${index.dtype} tokens (${e.tokens * width} bytes)`,
      );
    if (sha256(bytes) !== e.sha256)
      throw new Error(`token shard ${path} is corrupt: SHA-256 does not match index.json`);
    const copy = new Uint8Array(bytes).buffer;
    const tokens = width === 2 ? new Uint16Array(copy) : new Uint32Array(copy);
    const docBytes = read(docsPath);
    if (docBytes.length !== e.documents * 4)
      throw new Error(`token shard ${docsPath} is corrupt: ${docBytes.length} bytes for ${e.documents} documents`);
    const docStarts = new Uint32Array(new Uint8Array(docBytes).buffer);
    for (let i = 0; i < docStarts.length; i++) {
      if (
        docStarts[i]! >= e.tokens ||
        (i > 0 && docStarts[i]! <= docStarts[i - 1]!) ||
        (i === 0 && docStarts[0] !== 0)
      ) {
        throw new Error(
          `token shard ${docsPath} is corrupt: document offset ${i} (${docStarts[i]}) is out of order or range`,
        );
      }
    }
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i]! >= index.vocab_size)
        throw new Error(`token shard ${path} is corrupt: token ${tokens[i]} at ${i} >= vocab_size ${index.vocab_size}`);
    }
    return { file: path, tokens, docStarts };
  });
  return { index, shards };
}
