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
import {
  GGML_TYPES,
  type GgmlType,
  ggmlTensorBytes,
  GGUF_MAGIC,
  GGUF_VERSION,
  type GgufScalarType,
  type GgufValue,
  VALUE_TYPES,
} from './gguf-format.js';
import { alignmentOf, alignUp, parseGgufHeader } from './gguf-reader.js';
import { dequantize } from './quant-blocks.js';

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

/** Parses a whole GGUF file held in memory (version 2 or 3), validating it completely. */
export function parseGguf(bytes: Uint8Array, source = '<buffer>'): GgufContents {
  const h = parseGgufHeader(bytes, bytes.length, source);
  const tensors = new Map<string, GgufTensor>();
  for (const t of h.tensors.values())
    tensors.set(t.name, {
      name: t.name,
      type: t.type,
      shape: t.shape,
      data: bytes.slice(t.offset, t.offset + t.bytes),
    });
  return { version: h.version, metadata: h.metadata, tensors, alignment: h.alignment };
}

/** Reads and validates a GGUF file (whole file in memory: meant for verification and tests; see GgufFile). */
export async function readGguf(path: string): Promise<GgufContents> {
  return parseGguf(new Uint8Array(await readFile(path)), path);
}

/** Decodes a GGUF tensor's elements to float32 (F16/BF16 exact, block formats dequantised as ggml does). */
export function ggufTensorToFloat32(t: GgufTensor): Float32Array {
  return dequantize(
    t.type,
    t.data,
    t.shape.reduce((a, b) => a * b, 1),
  );
}

/** A metadata value as a plain JS value (bigint for u64/i64), or undefined when absent. */
export function ggufMeta(contents: GgufContents, key: string): GgufValue['value'] | undefined {
  return contents.metadata.get(key)?.value;
}
