/**
 * Streaming safetensors: reading a checkpoint (one file, or shards listed by
 * model.safetensors.index.json) one tensor at a time, into buffers the caller owns (such as a view of WASM memory), so a
 * checkpoint larger than the JS heap loads without a whole-file read or a second copy. Headers
 * are read and cross-checked up front (safetensors-checkpoint.ts); shard files stay open until
 * close(). And writing a file whose tensors are produced one at a time.
 */
import { open, rename, unlink } from 'node:fs/promises';
import type { Dtype } from './dtypes.js';
import { listCheckpointTensors } from './safetensors-checkpoint.js';
import { readSafetensorsHeader } from './safetensors.js';
import { buildHeader } from './safetensors-header.js';

/** One tensor of the checkpoint: dtype, shape, its file and absolute byte range. */
export interface StreamEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly file: string;
  readonly offset: number;
  readonly bytes: number;
}

type FileHandle = Awaited<ReturnType<typeof open>>;

/** An open checkpoint whose tensors are read on demand. */
export class CheckpointStream {
  private readonly handles = new Map<string, FileHandle>();

  private constructor(
    readonly path: string,
    readonly entries: ReadonlyMap<string, StreamEntry>,
  ) {}

  /** Lists the tensors of a checkpoint folder, index or file (headers only). */
  static async open(path: string): Promise<CheckpointStream> {
    const listed = await listCheckpointTensors(path);
    const headers = new Map<string, Awaited<ReturnType<typeof readSafetensorsHeader>>>();
    for (const e of listed.values()) if (!headers.has(e.file)) headers.set(e.file, await readSafetensorsHeader(e.file));
    const entries = new Map<string, StreamEntry>();
    for (const [name, e] of listed) {
      const h = headers.get(e.file)!;
      const te = h.entries.find((x) => x.name === name)!;
      entries.set(name, {
        name,
        dtype: e.dtype,
        shape: e.shape,
        file: e.file,
        offset: h.dataStart + te.begin,
        bytes: te.end - te.begin,
      });
    }
    return new CheckpointStream(path, entries);
  }

  /** The entry of tensor `name`, or an error naming it. */
  entry(name: string): StreamEntry {
    const e = this.entries.get(name);
    if (e === undefined) throw new Error(`${this.path}: no tensor "${name}" in the checkpoint`);
    return e;
  }

  /** Reads bytes [begin, begin + target.length) of tensor `name`'s data into `target`. */
  async readInto(name: string, target: Uint8Array, begin = 0): Promise<void> {
    const e = this.entry(name);
    if (begin < 0 || begin + target.length > e.bytes)
      throw new Error(
        `${e.file}: tensor "${name}" has ${e.bytes} bytes; cannot read ${begin}..${begin + target.length}`,
      );
    let fh = this.handles.get(e.file);
    if (fh === undefined) {
      fh = await open(e.file, 'r');
      this.handles.set(e.file, fh);
    }
    let done = 0;
    while (done < target.length) {
      const n = Math.min(1 << 30, target.length - done);
      const { bytesRead } = await fh.read(target, done, n, e.offset + begin + done);
      if (bytesRead === 0)
        throw new Error(`${e.file}: tensor "${name}": the file ended at byte ${e.offset + begin + done} (truncated?)`);
      done += bytesRead;
    }
  }

  async close(): Promise<void> {
    for (const fh of this.handles.values()) await fh.close();
    this.handles.clear();
  }
}

/** A tensor to write by streaming: its header fields and a producer of its bytes, called once, in order. */
export interface StreamedTensor {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly bytes: number;
  produce(): Uint8Array;
}

/**
 * Writes a safetensors file whose tensors are produced one at a time (the header is laid out
 * from the sizes first), so a multi-GB checkpoint never sits in memory whole. Atomic: a temp
 * file renamed into place.
 */
export async function writeSafetensorsStream(
  path: string,
  tensors: readonly StreamedTensor[],
  metadata: Readonly<Record<string, string>> = { format: 'pt' },
): Promise<void> {
  let at = 0;
  const entries = tensors.map((t) => {
    const e = { name: t.name, dtype: t.dtype, shape: [...t.shape], begin: at, end: at + t.bytes };
    at += t.bytes;
    return e;
  });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  try {
    await fh.write(buildHeader(entries, metadata));
    for (const t of tensors) {
      const data = t.produce();
      if (data.byteLength !== t.bytes)
        throw new Error(
          `writeSafetensorsStream: tensor "${t.name}" produced ${data.byteLength} bytes; expected ${t.bytes}`,
        );
      await fh.write(data);
    }
    await fh.close();
    await rename(tmp, path);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
