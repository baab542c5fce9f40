// Argument area and per-thread scratch shared with the host (src/kernels/wasm/layout.ts).
// The host writes each job's scalars as float64 slots at ARGS (pointers and counts fit exactly) and
// small int32 arrays (shapes, strides) at ARRS, then every thread calls run(kernel, tid, nt). The
// bases are wasm globals set by setup(), so each instance (main thread or worker) holds its own
// copies and no static data is shared between threads.

export let ARGS: usize = 0;
export let ARRS: usize = 0;
export let PARTIALS: usize = 0;
export let SCRATCH: usize = 0;
export let SCRATCH_STRIDE: usize = 0;

/** Offsets inside the control block, mirrored in src/kernels/wasm/layout.ts. */
export const ARGS_OFFSET: usize = 64;
export const ARRS_OFFSET: usize = 1024;
export const PARTIALS_OFFSET: usize = 2048;

export function setBases(ctrl: usize, scratch: usize, stride: usize): void {
  ARGS = ctrl + ARGS_OFFSET;
  ARRS = ctrl + ARRS_OFFSET;
  PARTIALS = ctrl + PARTIALS_OFFSET;
  SCRATCH = scratch;
  SCRATCH_STRIDE = stride;
}

@inline export function argf(i: i32): f64 { return load<f64>(ARGS + (<usize>i << 3)); }
@inline export function argi(i: i32): i32 { return <i32>load<f64>(ARGS + (<usize>i << 3)); }
@inline export function argp(i: i32): usize { return <usize>load<f64>(ARGS + (<usize>i << 3)); }
/** Element j of the int32 array number `which` (each array holds 16 entries). */
@inline export function arr(which: i32, j: i32): i32 {
  return load<i32>(ARRS + (<usize>(which * 16 + j) << 2));
}
@inline export function scratch(tid: i32): usize { return SCRATCH + <usize>tid * SCRATCH_STRIDE; }

/** Start of thread tid's share of [0, total) in units of `align` (end = rng(..., tid + 1, ...)). */
export function rng(total: i32, tid: i32, nt: i32, align: i32): i32 {
  const units = (total + align - 1) / align;
  const per = (units + nt - 1) / nt;
  const s = tid * per * align;
  return s < total ? s : total;
}

/** Byte address of float/int element `i` past `base`. */
@inline export function at(base: usize, i: i32): usize { return base + (<usize>i << 2); }
