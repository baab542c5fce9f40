/**
 * Memory layout shared by the host and the AssemblyScript kernels (assembly/args.ts mirrors the
 * offsets; assembly/index.ts mirrors the kernel ids). Below the tensor heap, in order:
 *   [0, staticEnd)          the module's own static data (constants, Math tables);
 *   control block (64 KiB)   job generation / pending counters, the float64 argument slots, small
 *                            int32 arrays (shapes, strides) and per-thread float64 partial sums;
 *   scratch, 2 MiB / thread  GEMM packing buffers (A 64 KiB, B 512 KiB, edge tile) and attention
 *                            score blocks; never in static data, so threads never share it;
 *   heapBase                 first byte the tensor heap may use.
 */

export const PAGE = 65536;
/** Int32 slots at the start of the control block. */
export const CTRL = { GEN: 0, PENDING: 1, KERNEL: 2, NT: 3, STOP: 4, ERROR: 5 } as const;
/** Bytes of UTF-8 where a failing worker leaves its error message. */
export const ERROR_OFFSET = 3072;
export const ERROR_BYTES = 1024;
export const ARGS_OFFSET = 64;
export const ARGS_SLOTS = 112;
export const ARRS_OFFSET = 1024;
/** Int32 arrays of 16 entries each: the most dims a strided kernel takes after coalescing. */
export const MAX_RANK = 16;
export const PARTIALS_OFFSET = 2048;
export const MAX_THREADS = 64;
export const CONTROL_BYTES = PAGE;
export const SCRATCH_PER_THREAD = 2 << 20;
/** Attention keeps 8 score rows of tk floats in the 1408 KiB after the GEMM buffers (offset 640 KiB). */
export const ATTENTION_MAX_TK = 45000;
/** cumsum keeps one float64 accumulator per column of its share in the same area. */
export const CUMSUM_MAX_INNER = 180000;

/** Job ids of run(kernel, tid, nt) in assembly/index.ts. */
export const Kernel = {
  GEMM: 0,
  UNARY: 1,
  BINARY_SCALAR: 2,
  BINARY: 3,
  WHERE: 4,
  COPY: 5,
  FILL: 6,
  AXPY: 7,
  REDUCE: 8,
  SUM_SQUARES: 9,
  SOFTMAX: 10,
  SOFTMAX_BWD: 11,
  RMSNORM: 12,
  RMSNORM_BWD: 13,
  CROSS_ENTROPY: 14,
  CROSS_ENTROPY_BWD: 15,
  SWIGLU: 16,
  SWIGLU_BWD: 17,
  ATTENTION: 18,
  ATTENTION_BWD: 19,
  INDEX_SELECT: 20,
  INDEX_ADD: 21,
  GATHER: 22,
  SCATTER_ADD: 23,
  ADAMW: 24,
  TOPK: 25,
  CUMSUM: 26,
  QMATMUL: 27,
  QROWS: 28,
} as const;
export type Kernel = (typeof Kernel)[keyof typeof Kernel];

export interface Layout {
  ctrlBase: number;
  scratchBase: number;
  heapBase: number;
}

/** Places the control block and `threads` scratch areas above the module's static data. */
export function computeLayout(staticEnd: number, threads: number): Layout {
  const ctrlBase = Math.ceil(staticEnd / PAGE) * PAGE;
  const scratchBase = ctrlBase + CONTROL_BYTES;
  return { ctrlBase, scratchBase, heapBase: scratchBase + threads * SCRATCH_PER_THREAD };
}
