/**
 * GGUF v3 files (ggml docs/gguf.md), the format llama.cpp loads: writing, and reading back for
 * verification.
 *
 * Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count; the metadata
 * (key string, u32 value type, value; strings are u64 length + UTF-8 bytes); per tensor its name,
 * u32 rank, u64 dims innermost-first, u32 ggml type and u64 offset into the data section; padding
 * to `general.alignment` (default 32); then the tensor data, each tensor starting at an aligned
 * offset. All little-endian. Shapes in this API are row-major (outermost first) and are reversed
 * at the file boundary. Reading validates every count, string, type and offset against the file
 * size first, so a truncated or corrupt file is reported by what was being read and where.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { decodeBF16Array, decodeF16, decodeF16Array } from './half-float.js';
import {
  GGML_TYPES,
  type GgmlType,
  ggmlTensorBytes,
  ggmlTypeName,
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_MAGIC,
  GGUF_VERSION,
  type GgufScalarType,
  type GgufValue,
  Q8_0_BLOCK,
  Q8_0_BLOCK_BYTES,
  VALUE_TYPES,
} from './gguf-format.js';

/** A tensor to write or as read: ggml type, row-major shape and its raw little-endian bytes. */
export interface GgufTensor {
  readonly name: string;
  readonly type: GgmlType;
  readonly shape: readonly number[];
  readonly data: Uint8Array;
}

/** A parsed GGUF file. */
export interface GgufContents {
  readonly version: number;
  readonly metadata: Map<string, GgufValue>;
  /** Tensors by name, in file order. */
  readonly tensors: Map<string, GgufTensor>;
  readonly alignment: number;
}

const enc = new TextEncoder();

/** A growable little-endian byte buffer for the header. */
class ByteSink {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number): void {
    this.reserve(1);
    this.view.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number): void {
    this.reserve(2);
    this.view.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: number | bigint): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: bigint): void {
    this.reserve(8);
    this.view.setBigInt64(this.length, v, true);
    this.length += 8;
  }
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  str(s: string): void {
    const b = enc.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  pad(align: number): void {
    while (this.length % align !== 0) this.u8(0);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function checkScalar(key: string, type: GgufScalarType, v: unknown): void {
  const ok =
    type === 'string'
      ? typeof v === 'string'
      : type === 'bool'
        ? typeof v === 'boolean'
        : type === 'u64' || type === 'i64'
          ? typeof v === 'bigint'
          : typeof v === 'number' && (type === 'f32' || type === 'f64' || Number.isInteger(v));
  if (!ok)
    throw new Error(
      `writeGguf: metadata "${key}" holds ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}; expected a ${type} value`,
    );
}

function writeScalar(s: ByteSink, type: GgufScalarType, v: number | bigint | boolean | string): void {
  switch (type) {
    case 'u8':
      return s.u8(v as number);
    case 'i8':
      return s.i8(v as number);
    case 'u16':
      return s.u16(v as number);
    case 'i16':
      return s.i16(v as number);
    case 'u32':
      return s.u32(v as number);
    case 'i32':
      return s.i32(v as number);
    case 'f32':
      return s.f32(v as number);
    case 'f64':
      return s.f64(v as number);
    case 'u64':
      return s.u64(v as bigint);
    case 'i64':
      return s.i64(v as bigint);
    case 'bool':
      return s.u8(v ? 1 : 0);
    case 'string':
      return s.str(v as string);
  }
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** The alignment a metadata map asks for (`general.alignment`, a u32 power of two), or 32. */
function alignmentOf(metadata: ReadonlyMap<string, GgufValue>, source: string): number {
  const a = metadata.get('general.alignment');
  if (a === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (a.type !== 'u32' || a.value <= 0 || (a.value & (a.value - 1)) !== 0) {
    throw new Error(
      `${source}: "general.alignment" is ${JSON.stringify(a.value)} (${a.type}); expected a u32 power of two`,
    );
  }
  return a.value;
}

/**
 * Lays out a GGUF file: the header bytes (up to the aligned data start) and the data chunks
 * (each tensor followed by its padding), in the given tensor order.
 */
export function layoutGguf(metadata: ReadonlyMap<string, GgufValue>, tensors: readonly GgufTensor[]): Uint8Array[] {
  const align = alignmentOf(metadata, 'writeGguf');
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(GGUF_VERSION);
  s.u64(tensors.length);
  s.u64(metadata.size);
  for (const [key, v] of metadata) {
    s.str(key);
    s.u32(VALUE_TYPES[v.type]);
    if (v.type === 'array') {
      s.u32(VALUE_TYPES[v.itemType]);
      s.u64(v.value.length);
      for (const item of v.value) {
        checkScalar(key, v.itemType, item);
        writeScalar(s, v.itemType, item);
      }
    } else {
      checkScalar(key, v.type, v.value);
      writeScalar(s, v.type, v.value);
    }
  }
  const seen = new Set<string>();
  let offset = 0;
  for (const t of tensors) {
    if (seen.has(t.name)) throw new Error(`writeGguf: tensor name "${t.name}" appears twice`);
    seen.add(t.name);
    const bytes = ggmlTensorBytes(t.type, t.shape, `writeGguf: tensor "${t.name}"`);
    if (t.data.byteLength !== bytes) {
      throw new Error(
        `writeGguf: tensor "${t.name}" (${t.type} [${t.shape.join(', ')}]) needs ${bytes} bytes, got ${t.data.byteLength}`,
      );
    }
    s.str(t.name);
    s.u32(t.shape.length);
    for (let d = t.shape.length - 1; d >= 0; d--) s.u64(t.shape[d]!);
    s.u32(GGML_TYPES[t.type]);
    s.u64(offset);
    offset = alignUp(offset + bytes, align);
  }
  s.pad(align);
  const chunks = [s.result()];
  for (const t of tensors) {
    chunks.push(t.data);
    const padding = alignUp(t.data.byteLength, align) - t.data.byteLength;
    if (padding > 0) chunks.push(new Uint8Array(padding));
  }
  return chunks;
}

/** Writes a GGUF v3 file atomically. */
export async function writeGguf(
  path: string,
  metadata: ReadonlyMap<string, GgufValue>,
  tensors: readonly GgufTensor[],
): Promise<void> {
  await writeFileAtomic(path, layoutGguf(metadata, tensors));
}

/** A bounds-checked little-endian reader that names what it was reading when the file ends. */
class ByteSource {
  private readonly view: DataView;
  pos = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  need(n: number, what: string): void {
    if (this.pos + n > this.bytes.length) {
      throw new Error(
        `${this.source}: file ends at byte ${this.bytes.length} while reading ${what} (${n} bytes at ${this.pos}); the GGUF file is truncated or corrupt`,
      );
    }
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(what: string): number {
    this.need(8, what);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new Error(`${this.source}: ${what} is ${v}; too large for this reader`);
    return Number(v);
  }
  str(what: string): string {
    const n = this.u64(`the length of ${what}`);
    this.need(n, what);
    const s = new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  scalar(type: GgufScalarType, what: string): number | bigint | boolean | string {
    const v = this.view;
    const at = (n: number): number => {
      this.need(n, what);
      const p = this.pos;
      this.pos += n;
      return p;
    };
    switch (type) {
      case 'u8':
        return v.getUint8(at(1));
      case 'i8':
        return v.getInt8(at(1));
      case 'u16':
        return v.getUint16(at(2), true);
      case 'i16':
        return v.getInt16(at(2), true);
      case 'u32':
        return v.getUint32(at(4), true);
      case 'i32':
        return v.getInt32(at(4), true);
      case 'f32':
        return v.getFloat32(at(4), true);
      case 'f64':
        return v.getFloat64(at(8), true);
      case 'u64':
        return v.getBigUint64(at(8), true);
      case 'i64':
        return v.getBigInt64(at(8), true);
      case 'bool':
        return v.getUint8(at(1)) !== 0;
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

/** Parses a whole GGUF file held in memory (version 2 or 3), validating it completely. */
export function parseGguf(bytes: Uint8Array, source = '<buffer>'): GgufContents {
  const r = new ByteSource(bytes, source);
  const magic = r.u32('the magic number');
  if (magic !== GGUF_MAGIC)
    throw new Error(`${source}: starts with 0x${magic.toString(16)}; expected the GGUF magic "GGUF" (not a GGUF file)`);
  const version = r.u32('the version');
  if (version !== 2 && version !== 3) throw new Error(`${source}: GGUF version ${version}; expected 2 or 3`);
  const nTensors = r.u64('the tensor count');
  const nKv = r.u64('the metadata count');
  if (nKv > bytes.length || nTensors > bytes.length)
    throw new Error(
      `${source}: header claims ${nTensors} tensors and ${nKv} metadata entries in a ${bytes.length}-byte file; the file is corrupt`,
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
        `${source}: tensor "${name}" has ggml type ${code}; this reader handles ${Object.keys(GGML_TYPES).join(', ')}`,
      );
    const offset = r.u64(`the offset of tensor "${name}"`);
    if (offset % alignment !== 0)
      throw new Error(
        `${source}: tensor "${name}" starts at data offset ${offset}, not a multiple of the alignment ${alignment}`,
      );
    infos.push({ name, type, shape: ne.reverse(), offset });
  }
  const dataStart = alignUp(r.pos, alignment);
  const tensors = new Map<string, GgufTensor>();
  for (const t of infos) {
    const n = ggmlTensorBytes(t.type, t.shape, `${source}: tensor "${t.name}"`);
    const begin = dataStart + t.offset;
    if (begin + n > bytes.length) {
      throw new Error(
        `${source}: tensor "${t.name}" (${t.type} [${t.shape.join(', ')}]) needs bytes ${begin}..${begin + n} but the file has ${bytes.length}; the GGUF file is truncated`,
      );
    }
    if (tensors.has(t.name)) throw new Error(`${source}: tensor "${t.name}" appears twice`);
    tensors.set(t.name, { name: t.name, type: t.type, shape: t.shape, data: bytes.slice(begin, begin + n) });
  }
  return { version, metadata, tensors, alignment };
}

/** Reads and validates a GGUF file (whole file in memory: meant for verification and tests). */
export async function readGguf(path: string): Promise<GgufContents> {
  return parseGguf(new Uint8Array(await readFile(path)), path);
}

/** Decodes a GGUF tensor's elements to float32 (F16/BF16 exact, Q8_0 dequantised as ggml does). */
export function ggufTensorToFloat32(t: GgufTensor): Float32Array {
  const d = t.data;
  switch (t.type) {
    case 'F32':
      return new Float32Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
    case 'F16':
      return decodeF16Array(new Uint16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
    case 'BF16':
      return decodeBF16Array(new Uint16Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength)));
    case 'Q8_0': {
      const blocks = d.byteLength / Q8_0_BLOCK_BYTES;
      const out = new Float32Array(blocks * Q8_0_BLOCK);
      const view = new DataView(d.buffer, d.byteOffset, d.byteLength);
      for (let b = 0; b < blocks; b++) {
        const scale = decodeF16(view.getUint16(b * Q8_0_BLOCK_BYTES, true));
        for (let j = 0; j < Q8_0_BLOCK; j++)
          out[b * Q8_0_BLOCK + j] = scale * view.getInt8(b * Q8_0_BLOCK_BYTES + 2 + j);
      }
      return out;
    }
  }
}

/** A metadata value as a plain JS value (bigint for u64/i64), or undefined when absent. */
export function ggufMeta(contents: GgufContents, key: string): GgufValue['value'] | undefined {
  return contents.metadata.get(key)?.value;
}
