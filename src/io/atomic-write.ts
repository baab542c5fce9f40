/**
 * Atomic file writes: the bytes go to a temporary file in the destination's directory, are fsynced,
 * and the temporary file is renamed over the destination (rename is atomic within a filesystem on
 * POSIX). A reader sees the old file or the complete new one, never a torn one; a failed write
 * removes the temporary file and leaves the old file untouched.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Largest single write call; fs.write refuses buffers of 2 GiB and more. */
const MAX_WRITE = 1 << 30;

/** Bytes to write: one buffer, or chunks produced in order (a generator may compute them lazily). */
export type WriteSource = Uint8Array | Iterable<Uint8Array>;

/** Writes `data` to `path` atomically (temp file in the same directory + fsync + rename). */
export async function writeFileAtomic(path: string, data: WriteSource): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fh = await open(tmp, 'wx', 0o644);
  let ok = false;
  try {
    const chunks: Iterable<Uint8Array> = data instanceof Uint8Array ? [data] : data;
    let position = 0;
    for (const chunk of chunks) {
      let done = 0;
      while (done < chunk.length) {
        const n = Math.min(MAX_WRITE, chunk.length - done);
        const { bytesWritten } = await fh.write(chunk, done, n, position);
        done += bytesWritten;
        position += bytesWritten;
      }
    }
    await fh.sync();
    ok = true;
  } finally {
    await fh.close();
    if (!ok) await unlink(tmp).catch(() => undefined);
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new Error(`writeFileAtomic: could not rename the temporary file onto ${path}: ${(err as Error).message}`);
  }
  await syncDirectory(dir);
}

/** fsyncs a directory so a rename in it is durable; best effort (some filesystems refuse). */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Directory fsync is not supported everywhere (e.g. some network filesystems); the rename itself is done.
  }
}
