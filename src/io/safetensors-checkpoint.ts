/**
 * Checkpoint folders in the Hugging Face layout: one `model.safetensors`, or shards
 * `model-00001-of-0000N.safetensors` plus `model.safetensors.index.json` holding
 * `{"metadata": {"total_size": bytes}, "weight_map": {tensor: shard file}}` (transformers'
 * `save_pretrained(max_shard_size=...)`; total_size is the sum of the tensors' data bytes).
 *
 * Writing keeps the caller's tensor order when filling shards (so a shard holds neighbouring
 * layers), starts a new shard when the next tensor would pass `maxShardBytes` (a tensor larger than
 * the limit gets a shard of its own, as transformers does), writes every file atomically and the
 * index last, then removes weight files of an earlier save that the new one does not use. The set
 * of files is not replaced atomically as a whole: a crash mid-save can leave old and new shards
 * mixed, which the loader's cross-checks then report.
 */
import { mkdir, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Dtype } from './dtypes.js';
import { writeFileAtomic } from './atomic-write.js';
import {
  readSafetensors,
  readSafetensorsHeader,
  type SafetensorsContents,
  type StoredTensor,
  type TensorMap,
  writeSafetensors,
  type ReadOptions,
} from './safetensors.js';

/** File name of a single-file checkpoint. */
export const SINGLE_FILE = 'model.safetensors';
/** File name of the shard index. */
export const INDEX_FILE = 'model.safetensors.index.json';
const SHARD_PATTERN = /^model-\d{5}-of-\d{5}\.safetensors$/;

/** Options for writing a checkpoint folder. */
export interface WriteCheckpointOptions {
  /** Largest data bytes per shard; default 5 GB (transformers' default "5GB"). */
  readonly maxShardBytes?: number;
  /** `__metadata__` written into every file (default {format: "pt"}, as transformers writes). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Where each tensor of a checkpoint lives, with its dtype and shape (no data read). */
export interface CheckpointEntry {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly file: string;
}

function shardName(i: number, n: number): string {
  return `model-${String(i + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes `tensors` into folder `dir` as `model.safetensors`, or as shards with an index when they
 * exceed `maxShardBytes`. Returns the file names written (index last).
 */
export async function writeSafetensorsCheckpoint(
  dir: string,
  tensors: TensorMap,
  options: WriteCheckpointOptions = {},
): Promise<string[]> {
  const maxShardBytes = options.maxShardBytes ?? 5_000_000_000;
  if (!Number.isSafeInteger(maxShardBytes) || maxShardBytes <= 0) {
    throw new Error(`writeSafetensorsCheckpoint: maxShardBytes is ${maxShardBytes}; expected a positive integer`);
  }
  const metadata = options.metadata ?? { format: 'pt' };
  const list: [string, StoredTensor][] =
    tensors instanceof Map ? [...tensors] : Object.entries(tensors as Record<string, StoredTensor>);
  const shards: [string, StoredTensor][][] = [];
  let current: [string, StoredTensor][] = [];
  let currentBytes = 0;
  let totalBytes = 0;
  for (const item of list) {
    const bytes = item[1].data.byteLength;
    if (current.length > 0 && currentBytes + bytes > maxShardBytes) {
      shards.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(item);
    currentBytes += bytes;
    totalBytes += bytes;
  }
  shards.push(current);

  await mkdir(dir, { recursive: true });
  const previous = await previousWeightFiles(dir);
  const written: string[] = [];
  if (shards.length === 1) {
    await writeSafetensors(join(dir, SINGLE_FILE), new Map(shards[0]), metadata);
    written.push(SINGLE_FILE);
  } else {
    const weightMap: Record<string, string> = {};
    for (let i = 0; i < shards.length; i++) {
      const name = shardName(i, shards.length);
      await writeSafetensors(join(dir, name), new Map(shards[i]), metadata);
      for (const [t] of shards[i]!) weightMap[t] = name;
      written.push(name);
    }
    const index = { metadata: { total_size: totalBytes }, weight_map: weightMap };
    await writeFileAtomic(join(dir, INDEX_FILE), new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`));
    written.push(INDEX_FILE);
  }
  for (const f of previous) if (!written.includes(f)) await unlink(join(dir, f)).catch(() => undefined);
  return written;
}

/** Weight files an earlier save left in `dir`: the single file, the index and shard-named files. */
async function previousWeightFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => n === SINGLE_FILE || n === INDEX_FILE || SHARD_PATTERN.test(n));
}

interface ResolvedCheckpoint {
  readonly dir: string;
  /** Tensor -> shard file name, or undefined for a single file. */
  readonly weightMap?: Readonly<Record<string, string>>;
  readonly single?: string;
}

async function resolve(path: string): Promise<ResolvedCheckpoint> {
  const info = await stat(path).catch(() => {
    throw new Error(
      `checkpoint: ${path} does not exist; expected a folder with ${SINGLE_FILE} or ${INDEX_FILE}, or one of those files`,
    );
  });
  if (info.isDirectory()) {
    if (await exists(join(path, INDEX_FILE))) return readIndex(join(path, INDEX_FILE));
    if (await exists(join(path, SINGLE_FILE))) return { dir: path, single: join(path, SINGLE_FILE) };
    throw new Error(`checkpoint: folder ${path} holds neither ${SINGLE_FILE} nor ${INDEX_FILE}`);
  }
  if (path.endsWith('.index.json')) return readIndex(path);
  return { dir: dirname(path), single: path };
}

async function readIndex(indexPath: string): Promise<ResolvedCheckpoint> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(indexPath, 'utf8'));
  } catch (err) {
    throw new Error(`${indexPath}: cannot read the shard index (${(err as Error).message})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error(
      `${indexPath}: "weight_map" is ${JSON.stringify(weightMap)}; expected an object mapping tensor names to shard files`,
    );
  }
  const totalSize = (json as { metadata?: { total_size?: unknown } }).metadata?.total_size;
  if (
    totalSize !== undefined &&
    !(typeof totalSize === 'number' && Number.isSafeInteger(totalSize) && totalSize >= 0)
  ) {
    throw new Error(
      `${indexPath}: metadata.total_size is ${JSON.stringify(totalSize)}; expected a non-negative integer`,
    );
  }
  for (const [t, f] of Object.entries(weightMap)) {
    if (typeof f !== 'string' || f !== basename(f) || f === '..' || f.length === 0) {
      throw new Error(
        `${indexPath}: weight_map["${t}"] is ${JSON.stringify(f)}; expected a file name in the same folder`,
      );
    }
  }
  return { dir: dirname(indexPath), weightMap: weightMap as Record<string, string> };
}

/** Groups the tensors of an index by shard file, checking each shard's header agrees with the index. */
async function shardHeaders(ck: ResolvedCheckpoint): Promise<Map<string, Map<string, CheckpointEntry>>> {
  const byFile = new Map<string, Map<string, CheckpointEntry>>();
  for (const file of new Set(Object.values(ck.weightMap!))) {
    const path = join(ck.dir, file);
    const header = await readSafetensorsHeader(path);
    const entries = new Map<string, CheckpointEntry>();
    for (const e of header.entries) {
      if (ck.weightMap![e.name] !== file) {
        const where =
          ck.weightMap![e.name] === undefined
            ? 'is not listed in the index'
            : `is listed under ${ck.weightMap![e.name]}`;
        throw new Error(`${path}: tensor "${e.name}" is stored in this shard but ${where}`);
      }
      entries.set(e.name, { dtype: e.dtype, shape: e.shape, file: path });
    }
    byFile.set(file, entries);
  }
  for (const [t, file] of Object.entries(ck.weightMap!)) {
    if (!byFile.get(file)!.has(t))
      throw new Error(
        `${join(ck.dir, file)}: the index lists tensor "${t}" in this shard but the shard does not hold it`,
      );
  }
  return byFile;
}

/** Lists every tensor of a checkpoint (file, folder or index) with dtype, shape and file, reading headers only. */
export async function listCheckpointTensors(path: string): Promise<Map<string, CheckpointEntry>> {
  const ck = await resolve(path);
  const out = new Map<string, CheckpointEntry>();
  if (ck.single) {
    for (const e of (await readSafetensorsHeader(ck.single)).entries)
      out.set(e.name, { dtype: e.dtype, shape: e.shape, file: ck.single });
    return out;
  }
  for (const entries of (await shardHeaders(ck)).values()) for (const [n, e] of entries) out.set(n, e);
  return out;
}

/**
 * Reads a checkpoint: a folder (index preferred over model.safetensors), an index file, or a
 * single .safetensors file. Sharded metadata is the first shard's `__metadata__`.
 */
export async function readSafetensorsCheckpoint(path: string, options: ReadOptions = {}): Promise<SafetensorsContents> {
  const ck = await resolve(path);
  if (ck.single) return readSafetensors(ck.single, options);
  const byFile = await shardHeaders(ck);
  const wanted = options.names ? new Set(options.names) : undefined;
  for (const n of wanted ?? []) {
    if (ck.weightMap![n] === undefined) throw new Error(`${path}: no tensor named "${n}" in the checkpoint index`);
  }
  const tensors = new Map<string, StoredTensor>();
  let metadata: Record<string, string> | undefined;
  for (const [file, entries] of byFile) {
    const names = [...entries.keys()].filter((n) => !wanted || wanted.has(n));
    const part = await readSafetensors(join(ck.dir, file), { names });
    metadata ??= part.metadata;
    for (const [n, t] of part.tensors) tensors.set(n, t);
  }
  return { tensors, metadata: metadata ?? {} };
}
