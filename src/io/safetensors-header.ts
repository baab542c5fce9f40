/**
 * The safetensors header: parsing with full validation, and building it for writing.
 *
 * Layout (https://huggingface.co/docs/safetensors, "Format"): 8 bytes little-endian u64 N, then N
 * bytes of UTF-8 JSON `{"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets":
 * [begin, end]}, ...}`, then the data section; offsets are relative to the data section. The
 * reference implementation pads the JSON with spaces so the data section starts 8-byte aligned,
 * limits the header to 100 MB, and requires the byte ranges, sorted, to tile the data section
 * exactly (no gap, no overlap, nothing left over). A file breaking any rule is rejected here with
 * an error naming the file and the tensor, before any tensor byte is read.
 */
import { type Dtype, DTYPE_NAMES, isDtype, itemSize, numel } from './dtypes.js';

/** One tensor's header entry; begin/end are byte offsets into the data section. */
export interface TensorEntry {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly begin: number;
  readonly end: number;
}

/** A validated header: entries sorted by offset, the `__metadata__` map, where data starts. */
export interface SafetensorsHeader {
  readonly entries: readonly TensorEntry[];
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute file offset of the data section (8 + N). */
  readonly dataStart: number;
  /** Length in bytes of the data section. */
  readonly dataLength: number;
}

/** Largest header accepted, as in the reference implementation. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

/** Reads and checks the u64 header length N from the first 8 bytes of a file of `fileSize` bytes. */
export function readHeaderLength(first8: Uint8Array, fileSize: number, source: string): number {
  if (fileSize < 8 || first8.length < 8) {
    throw new Error(`${source}: file is ${fileSize} bytes; a safetensors file needs at least the 8-byte header length`);
  }
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(
      `${source}: header length is ${n} bytes; expected at most ${MAX_HEADER_BYTES} (corrupt file or not safetensors)`,
    );
  }
  if (Number(n) > fileSize - 8) {
    throw new Error(
      `${source}: header length is ${n} bytes but only ${fileSize - 8} bytes follow it (truncated or not safetensors)`,
    );
  }
  if (n < 2n) throw new Error(`${source}: header length is ${n} bytes; expected a JSON object`);
  return Number(n);
}

function describe(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

function checkOffset(source: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new Error(`${source}: tensor "${name}": data_offsets holds ${describe(v)}; expected non-negative integers`);
  }
  return v;
}

function parseEntry(source: string, name: string, raw: unknown): TensorEntry {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(
      `${source}: tensor "${name}": header entry is ${describe(raw)}; expected an object with dtype, shape, data_offsets`,
    );
  }
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (!isDtype(dtype)) {
    throw new Error(
      `${source}: tensor "${name}": dtype is ${describe(dtype)}; expected one of ${DTYPE_NAMES.join(', ')}`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(
      `${source}: tensor "${name}": shape is ${describe(shape)}; expected an array of non-negative integers`,
    );
  }
  if (!Array.isArray(offsets) || offsets.length !== 2) {
    throw new Error(`${source}: tensor "${name}": data_offsets is ${describe(offsets)}; expected [begin, end]`);
  }
  const begin = checkOffset(source, name, offsets[0]);
  const end = checkOffset(source, name, offsets[1]);
  if (end < begin) {
    throw new Error(`${source}: tensor "${name}": data_offsets [${begin}, ${end}] end before they begin`);
  }
  const bytes = numel(shape as number[]) * itemSize(dtype);
  if (!Number.isSafeInteger(bytes) || bytes !== end - begin) {
    throw new Error(
      `${source}: tensor "${name}": shape [${shape.join(', ')}] of ${dtype} needs ${bytes} bytes but ` +
        `data_offsets [${begin}, ${end}] span ${end - begin}`,
    );
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

function parseMetadata(source: string, raw: unknown): Record<string, string> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: __metadata__ is ${describe(raw)}; expected an object of string values`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v !== 'string') throw new Error(`${source}: __metadata__["${k}"] is ${describe(v)}; expected a string`);
    out[k] = v;
  }
  return out;
}

/** Checks that the sorted byte ranges tile [0, dataLength) exactly. Entries must be sorted by (begin, end). */
function checkSpans(source: string, entries: readonly TensorEntry[], dataLength: number): void {
  let pos = 0;
  let prev: TensorEntry | undefined;
  for (const e of entries) {
    if (e.begin < pos) {
      throw new Error(
        `${source}: tensor "${e.name}" bytes [${e.begin}, ${e.end}) overlap tensor "${prev!.name}" bytes [${prev!.begin}, ${prev!.end})`,
      );
    }
    if (e.begin > pos) {
      const after = prev ? `after tensor "${prev.name}"` : 'at the start of the data section';
      throw new Error(
        `${source}: tensor "${e.name}" starts at byte ${e.begin}, leaving a gap of ${e.begin - pos} bytes ${after}`,
      );
    }
    if (e.end > dataLength) {
      throw new Error(
        `${source}: tensor "${e.name}" ends at byte ${e.end} of the data section but the file holds ` +
          `only ${dataLength} data bytes (truncated or corrupt file)`,
      );
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataLength) {
    throw new Error(
      `${source}: tensors cover ${pos} bytes but the data section holds ${dataLength} (trailing bytes: corrupt file)`,
    );
  }
}

/** Parses and validates the JSON header bytes of a file whose data section is `dataLength` bytes. */
export function parseHeader(headerBytes: Uint8Array, dataLength: number, source: string): SafetensorsHeader {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes);
  } catch {
    throw new Error(`${source}: header is not valid UTF-8 (corrupt file or not safetensors)`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${source}: header is not valid JSON (${(err as Error).message}); corrupt file or not safetensors`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`${source}: header is ${describe(json)}; expected a JSON object`);
  }
  let metadata: Record<string, string> = {};
  const entries: TensorEntry[] = [];
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(source, raw);
    else entries.push(parseEntry(source, name, raw));
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  checkSpans(source, entries, dataLength);
  return { entries, metadata, dataStart: 8 + headerBytes.length, dataLength };
}

/**
 * Builds the header bytes (8-byte length + JSON padded with spaces to a multiple of 8) for
 * entries already laid out back to back, and the metadata map.
 */
export function buildHeader(entries: readonly TensorEntry[], metadata: Readonly<Record<string, string>>): Uint8Array {
  const obj: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) obj.__metadata__ = metadata;
  for (const e of entries) obj[e.name] = { dtype: e.dtype, shape: e.shape, data_offsets: [e.begin, e.end] };
  const json = new TextEncoder().encode(JSON.stringify(obj));
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded).fill(0x20, 8);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  return out;
}
