/**
 * Reading GGUF files (ggml docs/gguf.md) without holding them in memory: the header, metadata and
 * tensor infos are parsed from a prefix of the file (grown until the header fits: a Qwen2 vocab of
 * 150k tokens and merges is a few MB), and each tensor is then read on demand into a buffer the
 * caller owns, for instance a view of WASM memory, so loading never makes a second copy.
 *
 * Validation happens up front: every count, string, value type, ggml type, alignment and tensor
 * extent is checked against the file size, so a truncated or corrupt file fails at open with an
 * error that names what was being read (the metadata key or the tensor) and where.
 */
import { open } from 'node:fs/promises';
import {
  GGML_TYPES,
  type GgmlType,
  ggmlRowBytes,
  ggmlTensorBytes,
  ggmlTypeName,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  type GgufScalarType,
  type GgufValue,
  VALUE_TYPES,
} from './gguf-format.js';

/** Where one tensor's bytes are in the file. Shapes are row-major (outermost first). */
export interface GgufTensorInfo {
  readonly name: string;
  readonly type: GgmlType;
  readonly shape: readonly number[];
  /** Absolute byte offset of the tensor's data in the file. */
  readonly offset: number;
  readonly bytes: number;
}

/** A parsed GGUF header: everything but the tensor data. */
export interface GgufHeader {
  readonly version: number;
  readonly metadata: Map<string, GgufValue>;
  readonly alignment: number;
  /** Tensor infos by name, in file order. */
  readonly tensors: Map<string, GgufTensorInfo>;
  /** Absolute offset of the data section. */
  readonly dataStart: number;
}

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** The alignment a metadata map asks for (`general.alignment`, a u32 power of two), or 32. */
export function alignmentOf(metadata: ReadonlyMap<string, GgufValue>, source: string): number {
  const a = metadata.get('general.alignment');
  if (a === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (a.type !== 'u32' || a.value <= 0 || (a.value & (a.value - 1)) !== 0) {
    throw new Error(
      `${source}: "general.alignment" is ${JSON.stringify(a.value)} (${a.type}); expected a u32 power of two`,
    );
  }
  return a.value;
}

/** Thrown when the header runs past the bytes read so far (but not past the file). */
class NeedMoreBytes extends Error {}

/** A bounds-checked little-endian reader that names what it was reading when the file ends. */
class ByteSource {
  private readonly view: DataView;
  private readonly decoder = new TextDecoder('utf-8', { fatal: false });
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly fileSize: number,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.fileSize) {
      throw new Error(
        `${this.source}: file ends at byte ${this.fileSize} while reading ${what} (${n} bytes at ${this.pos}); the GGUF file is truncated or corrupt`,
      );
    }
    if (this.pos + n > this.bytes.length) throw new NeedMoreBytes();
  }
  private at(n: number, what: string): number {
    this.need(n, what);
    const p = this.pos;
    this.pos += n;
    return p;
  }
  u32(what: string): number {
    return this.view.getUint32(this.at(4, what), true);
  }
  u64(what: string): number {
    const v = this.view.getBigUint64(this.at(8, what), true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`${this.source}: ${what} is ${v}; too large for this reader`);
    return Number(v);
  }
  str(what: string): string {
    const n = this.u64(`the length of ${what}`);
    const p = this.at(n, what);
    return this.decoder.decode(this.bytes.subarray(p, p + n));
  }
  scalar(type: GgufScalarType, what: string): number | bigint | boolean | string {
    const v = this.view;
    switch (type) {
      case 'u8':
        return v.getUint8(this.at(1, what));
      case 'i8':
        return v.getInt8(this.at(1, what));
      case 'u16':
        return v.getUint16(this.at(2, what), true);
      case 'i16':
        return v.getInt16(this.at(2, what), true);
      case 'u32':
        return v.getUint32(this.at(4, what), true);
      case 'i32':
        return v.getInt32(this.at(4, what), true);
      case 'f32':
        return v.getFloat32(this.at(4, what), true);
      case 'f64':
        return v.getFloat64(this.at(8, what), true);
      case 'u64':
        return v.getBigUint64(this.at(8, what), true);
      case 'i64':
        return v.getBigInt64(this.at(8, what), true);
      case 'bool':
        return v.getUint8(this.at(1, what)) !== 0;
      case 'string':
        return this.str(what);
    }
  }
}

const TYPE_BY_CODE = new Map<number, keyof typeof VALUE_TYPES>(
  Object.entries(VALUE_TYPES).map(([k, v]) => [v, k as keyof typeof VALUE_TYPES]),
);

function valueType(code: number, what: string, source: string): keyof typeof VALUE_TYPES {
  const t = TYPE_BY_CODE.get(code);
  if (t === undefined) throw new Error(`${source}: ${what} has value type ${code}; expected one of 0..12 (gguf.md)`);
  return t;
}

function readValue(r: ByteSource, key: string, source: string): GgufValue {
  const type = valueType(r.u32(`the type of "${key}"`), `metadata "${key}"`, source);
  if (type !== 'array') return { type, value: r.scalar(type, `metadata "${key}"`) } as GgufValue;
  const itemType = valueType(r.u32(`the item type of "${key}"`), `array "${key}"`, source);
  if (itemType === 'array')
    throw new Error(`${source}: metadata "${key}" is an array of arrays; this reader does not support nested arrays`);
  const n = r.u64(`the length of array "${key}"`);
  const value: (number | bigint | boolean | string)[] = [];
  for (let i = 0; i < n; i++) value.push(r.scalar(itemType, `item ${i} of "${key}"`));
  return { type: 'array', itemType, value };
}

/**
 * Parses the header from `bytes`, the first bytes of a file of `fileSize` bytes (the whole file
 * for an in-memory parse). Throws NeedMoreBytes when the header continues past `bytes`.
 */
function parseHeaderFrom(bytes: Uint8Array, fileSize: number, source: string): GgufHeader {
  const r = new ByteSource(bytes, fileSize, source);
  const magic = r.u32('the magic number');
  if (magic !== GGUF_MAGIC)
    throw new Error(`${source}: starts with 0x${magic.toString(16)}; expected the GGUF magic "GGUF" (not a GGUF file)`);
  const version = r.u32('the version');
  if (version !== 2 && version !== 3) throw new Error(`${source}: GGUF version ${version}; expected 2 or 3`);
  const nTensors = r.u64('the tensor count');
  const nKv = r.u64('the metadata count');
  if (nKv > fileSize || nTensors > fileSize)
    throw new Error(
      `${source}: header claims ${nTensors} tensors and ${nKv} metadata entries in a ${fileSize}-byte file; the file is corrupt`,
    );
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < nKv; i++) {
    const key = r.str(`metadata key ${i}`);
    if (metadata.has(key)) throw new Error(`${source}: metadata key "${key}" appears twice`);
    metadata.set(key, readValue(r, key, source));
  }
  const alignment = alignmentOf(metadata, source);
  const infos: { name: string; type: GgmlType; shape: number[]; offset: number }[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = r.str(`the name of tensor ${i}`);
    const rank = r.u32(`the rank of tensor "${name}"`);
    if (rank > 4) throw new Error(`${source}: tensor "${name}" has rank ${rank}; expected at most 4 (GGML_MAX_DIMS)`);
    const ne: number[] = [];
    for (let d = 0; d < rank; d++) ne.push(r.u64(`dimension ${d} of tensor "${name}"`));
    const code = r.u32(`the type of tensor "${name}"`);
    const type = ggmlTypeName(code);
    if (type === undefined)
      throw new Error(
        `${source}: tensor "${name}" has ggml type ${code}, a quantization this reader does not handle; supported: ${Object.entries(
          GGML_TYPES,
        )
          .map(([k, v]) => `${k} (${v})`)
          .join(', ')}. Requantize the file (llama-quantize) to one of them`,
      );
    const offset = r.u64(`the offset of tensor "${name}"`);
    if (offset % alignment !== 0)
      throw new Error(
        `${source}: tensor "${name}" starts at data offset ${offset}, not a multiple of the alignment ${alignment}`,
      );
    infos.push({ name, type, shape: ne.reverse(), offset });
  }
  const dataStart = alignUp(r.pos, alignment);
  const tensors = new Map<string, GgufTensorInfo>();
  for (const t of infos) {
    const n = ggmlTensorBytes(t.type, t.shape, `${source}: tensor "${t.name}"`);
    const begin = dataStart + t.offset;
    if (begin + n > fileSize) {
      throw new Error(
        `${source}: tensor "${t.name}" (${t.type} [${t.shape.join(', ')}]) needs bytes ${begin}..${begin + n} ` +
          `but the file has ${fileSize}; the GGUF file is truncated`,
      );
    }
    if (tensors.has(t.name)) throw new Error(`${source}: tensor "${t.name}" appears twice`);
    tensors.set(t.name, { name: t.name, type: t.type, shape: t.shape, offset: begin, bytes: n });
  }
  return { version, metadata, alignment, tensors, dataStart };
}

/** Parses and validates the header of a GGUF file given (at least) all of its header bytes. */
export function parseGgufHeader(bytes: Uint8Array, fileSize: number, source = '<buffer>'): GgufHeader {
  try {
    return parseHeaderFrom(bytes, fileSize, source);
  } catch (err) {
    if (err instanceof NeedMoreBytes)
      throw new Error(`${source}: the header continues past the ${bytes.length} bytes given`);
    throw err;
  }
}

type FileHandle = Awaited<ReturnType<typeof open>>;

/** Fills `target` from `position`, in reads of at most 1 GiB; a short file is an error naming `what`. */
async function readExactly(fh: FileHandle, target: Uint8Array, position: number, what: string): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const n = Math.min(1 << 30, target.length - done);
    const { bytesRead } = await fh.read(target, done, n, position + done);
    if (bytesRead === 0) throw new Error(`${what}: the file ended at byte ${position + done} (truncated while open?)`);
    done += bytesRead;
  }
}

/** An open GGUF file: header in memory, tensors read one at a time. Close it when done. */
export class GgufFile implements GgufHeader {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    private readonly header: GgufHeader,
  ) {}

  get version(): number {
    return this.header.version;
  }
  get metadata(): Map<string, GgufValue> {
    return this.header.metadata;
  }
  get alignment(): number {
    return this.header.alignment;
  }
  get tensors(): Map<string, GgufTensorInfo> {
    return this.header.tensors;
  }
  get dataStart(): number {
    return this.header.dataStart;
  }

  /** Opens `path` and parses its header (reading 1 MiB, then doubling until the header fits). */
  static async open(path: string): Promise<GgufFile> {
    const fh = await open(path, 'r');
    try {
      const size = (await fh.stat()).size;
      for (let n = Math.min(size, 1 << 20); ; n = Math.min(size, 2 * n)) {
        const prefix = new Uint8Array(n);
        await readExactly(fh, prefix, 0, path);
        try {
          return new GgufFile(path, fh, parseHeaderFrom(prefix, size, path));
        } catch (err) {
          if (!(err instanceof NeedMoreBytes) || n === size) throw err;
        }
      }
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  /** The info of tensor `name`, or an error naming it and the file. */
  info(name: string): GgufTensorInfo {
    const t = this.header.tensors.get(name);
    if (t === undefined) throw new Error(`${this.path}: no tensor "${name}" (${this.header.tensors.size} tensors)`);
    return t;
  }

  /**
   * Reads rows [r0, r1) of tensor `name` (rows of its innermost dimension) into `target`, which
   * must hold exactly their bytes. Without r0/r1, the whole tensor.
   */
  async readInto(name: string, target: Uint8Array, r0 = 0, r1?: number): Promise<void> {
    const t = this.info(name);
    const cols = t.shape.length === 0 ? 1 : t.shape[t.shape.length - 1]!;
    const rows = t.shape.length === 0 ? 1 : t.bytes / ggmlRowBytes(t.type, cols);
    const end = r1 ?? rows,
      rowBytes = ggmlRowBytes(t.type, cols);
    if (!(Number.isInteger(r0) && Number.isInteger(end) && r0 >= 0 && r0 <= end && end <= rows))
      throw new Error(`${this.path}: tensor "${name}" has ${rows} rows; cannot read rows ${r0}..${end}`);
    if (target.byteLength !== (end - r0) * rowBytes)
      throw new Error(
        `${this.path}: tensor "${name}" rows ${r0}..${end} are ${(end - r0) * rowBytes} bytes; the target holds ${target.byteLength}`,
      );
    await readExactly(this.fh, target, t.offset + r0 * rowBytes, `${this.path}: tensor "${name}"`);
  }

  /** Tensor `name`'s bytes in a new buffer (for small tensors: norms, biases). */
  async read(name: string): Promise<Uint8Array> {
    const out = new Uint8Array(this.info(name).bytes);
    await this.readInto(name, out);
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}
