/**
 * Reading and writing single safetensors files (https://huggingface.co/docs/safetensors).
 *
 * Reading validates the whole header first (safetensors-header.ts), then reads each tensor with a
 * positioned read into its own ArrayBuffer, so every typed array is aligned and owns its memory
 * and a subset of tensors can be loaded without reading the rest. Writing orders tensors by item
 * size (largest first) then name, as the Python library does, so with the 8-byte aligned header
 * every tensor starts aligned to its element size; files are written atomically (atomic-write.ts).
 * All data is little-endian, which is also the byte order of every platform Node runs on here.
 */
import { open } from 'node:fs/promises';
import { endianness } from 'node:os';
import {
  allocData,
  dataMatchesDtype,
  type Dtype,
  itemSize,
  numel,
  type TensorData,
  toFloat32,
  arrayNameOf,
} from './dtypes.js';
import {
  buildHeader,
  parseHeader,
  readHeaderLength,
  type SafetensorsHeader,
  type TensorEntry,
} from './safetensors-header.js';
import { writeFileAtomic } from './atomic-write.js';

/** A tensor as stored: dtype name, shape and raw little-endian elements. */
export interface StoredTensor {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly data: TensorData;
}

/** The contents of a safetensors file: tensors by name (in data order) and `__metadata__`. */
export interface SafetensorsContents {
  readonly tensors: Map<string, StoredTensor>;
  readonly metadata: Record<string, string>;
}

/** Tensors to write, by name. */
export type TensorMap = ReadonlyMap<string, StoredTensor> | Readonly<Record<string, StoredTensor>>;

/** Options for reading: load only the named tensors (all when absent; unknown names are an error). */
export interface ReadOptions {
  readonly names?: readonly string[];
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: this reader supports little-endian hosts only');
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The tensor's elements as float32 (F16, BF16 and F8_E4M3 decoded exactly). */
export function tensorToFloat32(t: StoredTensor): Float32Array {
  return toFloat32(t.dtype, t.data);
}

function selectEntries(header: SafetensorsHeader, source: string, names: readonly string[] | undefined): TensorEntry[] {
  if (!names) return [...header.entries];
  const byName = new Map(header.entries.map((e) => [e.name, e]));
  return names.map((n) => {
    const e = byName.get(n);
    if (!e) throw new Error(`${source}: no tensor named "${n}" (the file holds ${header.entries.length} tensors)`);
    return e;
  });
}

/** Parses a whole safetensors file held in memory; `source` names it in errors. */
export function parseSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
  options: ReadOptions = {},
): SafetensorsContents {
  assertLittleEndian();
  const n = readHeaderLength(bytes.subarray(0, 8), bytes.length, source);
  const header = parseHeader(bytes.subarray(8, 8 + n), bytes.length - 8 - n, source);
  const tensors = new Map<string, StoredTensor>();
  for (const e of selectEntries(header, source, options.names)) {
    const data = allocData(e.dtype, numel(e.shape));
    bytesOf(data).set(bytes.subarray(header.dataStart + e.begin, header.dataStart + e.end));
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: { ...header.metadata } };
}

/** Reads and validates only the header of a safetensors file (no tensor data). */
export async function readSafetensorsHeader(path: string): Promise<SafetensorsHeader> {
  const fh = await open(path, 'r');
  try {
    return await readHeaderFrom(fh, path);
  } finally {
    await fh.close();
  }
}

type FileHandle = Awaited<ReturnType<typeof open>>;

async function readExactly(fh: FileHandle, target: Uint8Array, position: number, source: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const n = Math.min(1 << 30, target.length - done);
    const { bytesRead } = await fh.read(target, done, n, position + done);
    if (bytesRead === 0)
      throw new Error(`${source}: file ended at byte ${position + done} while reading (truncated while open?)`);
    done += bytesRead;
  }
}

async function readHeaderFrom(fh: FileHandle, source: string): Promise<SafetensorsHeader> {
  assertLittleEndian();
  const size = (await fh.stat()).size;
  const first8 = new Uint8Array(Math.min(8, size));
  await readExactly(fh, first8, 0, source);
  const n = readHeaderLength(first8, size, source);
  const headerBytes = new Uint8Array(n);
  await readExactly(fh, headerBytes, 8, source);
  return parseHeader(headerBytes, size - 8 - n, source);
}

/** Reads a safetensors file (all tensors, or `options.names`), validating it completely first. */
export async function readSafetensors(path: string, options: ReadOptions = {}): Promise<SafetensorsContents> {
  const fh = await open(path, 'r');
  try {
    const header = await readHeaderFrom(fh, path);
    const tensors = new Map<string, StoredTensor>();
    for (const e of selectEntries(header, path, options.names)) {
      const data = allocData(e.dtype, numel(e.shape));
      await readExactly(fh, bytesOf(data), header.dataStart + e.begin, `${path}: tensor "${e.name}"`);
      tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data });
    }
    return { tensors, metadata: { ...header.metadata } };
  } finally {
    await fh.close();
  }
}

function entriesOf(tensors: TensorMap): [string, StoredTensor][] {
  return tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors as Record<string, StoredTensor>);
}

function checkTensor(name: string, t: StoredTensor): void {
  if (name.length === 0 || name === '__metadata__')
    throw new Error(`writeSafetensors: tensor name "${name}" is reserved or empty`);
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(
      `writeSafetensors: tensor "${name}": shape is ${JSON.stringify(t.shape)}; expected non-negative integers`,
    );
  }
  if (!dataMatchesDtype(t.dtype, t.data)) {
    throw new Error(
      `writeSafetensors: tensor "${name}": dtype ${t.dtype} needs a ${arrayNameOf(t.dtype)}, got ${t.data.constructor.name}`,
    );
  }
  if (t.data.length !== numel(t.shape)) {
    throw new Error(
      `writeSafetensors: tensor "${name}": shape [${t.shape.join(', ')}] has ${numel(t.shape)} elements but data has ${t.data.length}`,
    );
  }
}

/** Lays tensors out as the writer stores them: header bytes, then the data chunks in order. */
export function layoutSafetensors(
  tensors: TensorMap,
  metadata: Readonly<Record<string, string>> = {},
): { header: Uint8Array; chunks: Uint8Array[]; dataBytes: number } {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata["${k}"] is ${typeof v}; expected a string`);
  }
  const list = entriesOf(tensors);
  for (const [name, t] of list) checkTensor(name, t);
  list.sort(([an, a], [bn, b]) => itemSize(b.dtype) - itemSize(a.dtype) || (an < bn ? -1 : an > bn ? 1 : 0));
  const entries: TensorEntry[] = [];
  const chunks: Uint8Array[] = [];
  let pos = 0;
  for (const [name, t] of list) {
    const bytes = bytesOf(t.data);
    entries.push({ name, dtype: t.dtype, shape: [...t.shape], begin: pos, end: pos + bytes.length });
    chunks.push(bytes);
    pos += bytes.length;
  }
  return { header: buildHeader(entries, metadata), chunks, dataBytes: pos };
}

/** Serializes tensors and metadata into one in-memory safetensors file. */
export function serializeSafetensors(tensors: TensorMap, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const { header, chunks, dataBytes } = layoutSafetensors(tensors, metadata);
  const out = new Uint8Array(header.length + dataBytes);
  out.set(header, 0);
  let pos = header.length;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/** Writes tensors and metadata to `path` as safetensors, atomically. */
export async function writeSafetensors(
  path: string,
  tensors: TensorMap,
  metadata: Readonly<Record<string, string>> = {},
): Promise<void> {
  const { header, chunks } = layoutSafetensors(tensors, metadata);
  await writeFileAtomic(path, [header, ...chunks]);
}
