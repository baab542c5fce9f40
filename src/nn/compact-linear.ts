/**
 * Weight matrices kept in their compact storage format in WASM memory (BF16/F16, or llama.cpp's
 * block quantizations Q8_0, Q4_0, Q4_K, Q6_K), used by kernels that decode them on the fly
 * (Backend.quantMatmul, Backend.quantRows). This is how a 1.5B-parameter checkpoint fits the 4 GiB
 * wasm32 memory: at Q8_0 it takes ~1.9 GB instead of 7.1 GB as float32.
 *
 * Inference only: these ops record no gradient (training keeps float32 parameters). Activations
 * stay float32.
 */
import type { Engine, Tensor } from '../tensor/index.js';

/** One compact matrix [rows, cols] (rows = output features), its bytes in the engine's heap. */
export class CompactWeight {
  private alive = true;
  constructor(
    readonly engine: Engine,
    /** ggml type code of the rows (0 F32, 1 F16, 30 BF16, 8 Q8_0, 2 Q4_0, 12 Q4_K, 14 Q6_K). */
    readonly code: number,
    /** The type's name, for messages. */
    readonly typeName: string,
    readonly rows: number,
    readonly cols: number,
    /** Byte offset of the first row in the engine's memory. */
    readonly ptr: number,
    readonly bytes: number,
  ) {}

  /** A heap block for `bytes` bytes of weight data; fill it through `view()`. */
  static alloc(
    engine: Engine,
    code: number,
    typeName: string,
    rows: number,
    cols: number,
    bytes: number,
  ): CompactWeight {
    return new CompactWeight(engine, code, typeName, rows, cols, engine.heap.alloc(bytes), bytes);
  }

  /** The weight's bytes as a view of WASM memory (invalid after the memory grows). */
  view(): Uint8Array {
    return new Uint8Array(this.engine.backend.memory.buffer, this.ptr, this.bytes);
  }

  get shape(): [number, number] {
    return [this.rows, this.cols];
  }

  dispose(): void {
    if (!this.alive) return;
    this.alive = false;
    this.engine.heap.release(this.ptr);
  }
}

/** x [..., cols] @ W^T (+ bias [rows]) -> [..., rows], W decoded on the fly and the bias added in the same kernel call. */
export function compactLinear(x: Tensor, w: CompactWeight, bias?: Tensor): Tensor {
  const k = x.shape[x.rank - 1]!;
  if (k !== w.cols)
    throw new Error(
      `compactLinear: x [${x.shape.join(', ')}] does not match weight [${w.rows}, ${w.cols}] (${w.typeName})`,
    );
  if (bias && (bias.dtype !== 'f32' || bias.rank !== 1 || bias.shape[0] !== w.rows))
    throw new Error(
      `compactLinear: bias ${bias.dtype} [${bias.shape.join(', ')}] must be f32 [${w.rows}] for weight [${w.rows}, ${w.cols}]`,
    );
  const e = x.engine,
    X = e.contiguous(x),
    B = bias && e.contiguous(bias),
    m = x.size / k;
  const out = e.empty([...x.shape.slice(0, -1), w.rows]); // (..., rows)
  e.backend.quantMatmul({ type: w.code, m, n: w.rows, k, x: X.ptr, w: w.ptr, y: out.ptr, bias: B?.ptr ?? 0 });
  return out;
}

/** Embedding lookup from a compact table W [V, D]: int32 ids of any shape -> [...ids.shape, D]. */
export function compactEmbedding(w: CompactWeight, ids: Tensor): Tensor {
  const e = ids.engine,
    I = e.contiguous(ids),
    v = e.read(I);
  for (let i = 0; i < v.length; i++)
    if (!(v[i]! >= 0 && v[i]! < w.rows))
      throw new Error(`compactEmbedding: id ${v[i]} at position ${i} is out of range [0, ${w.rows})`);
  const out = e.empty([...ids.shape, w.cols]); // (...ids, D)
  e.backend.quantRows(w.code, w.cols, w.ptr, I.ptr, ids.size, out.ptr);
  return out;
}
