/**
 * The safetensors dtypes this project reads and writes, their item sizes and the typed array that
 * holds each one's raw elements (https://huggingface.co/docs/safetensors, "Format": dtype names).
 * 16-bit floats stay raw as Uint16Array and FP8 as Uint8Array; `toFloat32` / `fromNumbers`
 * convert between those raw forms and numbers, exactly (see half-float.ts and fp8-e4m3.ts).
 */
import { decodeBF16Array, decodeF16Array, encodeBF16Array, encodeF16Array } from './half-float.js';
import { decodeE4M3Array, encodeE4M3Array } from './fp8-e4m3.js';

/** A safetensors dtype name. */
export type Dtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'F8_E4M3' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** The raw element storage of a tensor, by dtype (BF16/F16 as bit patterns, F8_E4M3 as bytes). */
export type TensorData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | Uint8Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array;

interface DtypeInfo {
  readonly itemSize: number;
  readonly make: (buffer: ArrayBuffer, byteOffset: number, length: number) => TensorData;
  readonly ctor: abstract new (...args: never[]) => TensorData;
}

const DTYPES: Readonly<Record<Dtype, DtypeInfo>> = Object.freeze({
  F64: { itemSize: 8, make: (b, o, n) => new Float64Array(b, o, n), ctor: Float64Array },
  F32: { itemSize: 4, make: (b, o, n) => new Float32Array(b, o, n), ctor: Float32Array },
  F16: { itemSize: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  BF16: { itemSize: 2, make: (b, o, n) => new Uint16Array(b, o, n), ctor: Uint16Array },
  F8_E4M3: { itemSize: 1, make: (b, o, n) => new Uint8Array(b, o, n), ctor: Uint8Array },
  I64: { itemSize: 8, make: (b, o, n) => new BigInt64Array(b, o, n), ctor: BigInt64Array },
  I32: { itemSize: 4, make: (b, o, n) => new Int32Array(b, o, n), ctor: Int32Array },
  I16: { itemSize: 2, make: (b, o, n) => new Int16Array(b, o, n), ctor: Int16Array },
  I8: { itemSize: 1, make: (b, o, n) => new Int8Array(b, o, n), ctor: Int8Array },
  U8: { itemSize: 1, make: (b, o, n) => new Uint8Array(b, o, n), ctor: Uint8Array },
  BOOL: { itemSize: 1, make: (b, o, n) => new Uint8Array(b, o, n), ctor: Uint8Array },
});

/** All supported dtype names. */
export const DTYPE_NAMES: readonly Dtype[] = Object.freeze(Object.keys(DTYPES) as Dtype[]);

/** True when `name` is a supported safetensors dtype. */
export function isDtype(name: unknown): name is Dtype {
  return typeof name === 'string' && Object.hasOwn(DTYPES, name);
}

/** Bytes per element of `dtype`. */
export function itemSize(dtype: Dtype): number {
  return DTYPES[dtype].itemSize;
}

/** The name of the typed array class that holds `dtype`'s raw elements. */
export function arrayNameOf(dtype: Dtype): string {
  return DTYPES[dtype].ctor.name;
}

/** Allocates a zeroed raw array for `length` elements of `dtype`. */
export function allocData(dtype: Dtype, length: number): TensorData {
  const info = DTYPES[dtype];
  return info.make(new ArrayBuffer(length * info.itemSize), 0, length);
}

/** True when `data` is the raw array type for `dtype` (e.g. Uint16Array for BF16). */
export function dataMatchesDtype(dtype: Dtype, data: TensorData): boolean {
  return data instanceof DTYPES[dtype].ctor;
}

/** Number of elements of a shape (1 for a scalar shape []). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * Converts raw tensor data to float32: F16, BF16 and F8_E4M3 are decoded exactly, F64 is rounded
 * to float32, integers are converted (I64 beyond 2^24 loses precision, as float32 must).
 */
export function toFloat32(dtype: Dtype, data: TensorData): Float32Array {
  switch (dtype) {
    case 'F32':
      return Float32Array.from(data as Float32Array);
    case 'F16':
      return decodeF16Array(data as Uint16Array);
    case 'BF16':
      return decodeBF16Array(data as Uint16Array);
    case 'F8_E4M3':
      return decodeE4M3Array(data as Uint8Array);
    case 'I64':
      return Float32Array.from(data as BigInt64Array, (v) => Number(v));
    default:
      return Float32Array.from(data as Exclude<TensorData, BigInt64Array>);
  }
}

/**
 * Converts numbers to the raw data of `dtype`: float formats round to nearest even (F8_E4M3
 * saturates to +-448); integer dtypes require integral values in range and throw otherwise.
 */
export function fromNumbers(dtype: Dtype, values: ArrayLike<number>): TensorData {
  switch (dtype) {
    case 'F64':
      return Float64Array.from(values);
    case 'F32':
      return Float32Array.from(values);
    case 'F16':
      return encodeF16Array(values);
    case 'BF16':
      return encodeBF16Array(values);
    case 'F8_E4M3':
      return encodeE4M3Array(values);
    default:
      return integersFrom(dtype, values);
  }
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = Object.freeze({
  I64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  I32: [-(2 ** 31), 2 ** 31 - 1],
  I16: [-(2 ** 15), 2 ** 15 - 1],
  I8: [-128, 127],
  U8: [0, 255],
  BOOL: [0, 1],
});

function integersFrom(dtype: Dtype, values: ArrayLike<number>): TensorData {
  const [lo, hi] = INT_RANGES[dtype]!;
  const out = allocData(dtype, values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isInteger(v) || v < lo || v > hi) {
      throw new Error(`fromNumbers: element ${i} is ${v}; expected an integer in [${lo}, ${hi}] for dtype ${dtype}`);
    }
    if (out instanceof BigInt64Array) out[i] = BigInt(v);
    else out[i] = v;
  }
  return out;
}
