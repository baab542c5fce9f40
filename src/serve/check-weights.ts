/**
 * One pass over a loaded model's weights for NaN and Inf (issue 17, defect 1). A checkpoint damaged
 * that way loads and runs, then produces non-finite logits; warning at load names the tensors, so
 * the 500 a request gets later has an explanation in the server's log.
 */
import type { Engine, Tensor } from '../tensor/index.js';

/** Counts of non-finite values in one tensor. */
export interface NonFiniteTensor {
  name: string;
  nan: number;
  inf: number;
}

/** The f32 tensors of `params` that hold NaN or ±Inf (read in place on the engine heap). */
export function nonFiniteTensors(engine: Engine, params: ReadonlyMap<string, Tensor>): NonFiniteTensor[] {
  const out: NonFiniteTensor[] = [];
  for (const [name, t] of params) {
    if (t.dtype !== 'f32') continue;
    const values = t.isContiguous
      ? engine.backend.f32().subarray(t.ptr >>> 2, (t.ptr >>> 2) + t.size)
      : (engine.read(t) as Float32Array);
    let nan = 0,
      inf = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v !== v) nan++;
      else if (v === Infinity || v === -Infinity) inf++;
    }
    if (nan + inf > 0) out.push({ name, nan, inf });
  }
  return out;
}

/** One warning line per damaged tensor (at most `limit`, then a count). */
export function nonFiniteWarnings(found: readonly NonFiniteTensor[], limit = 8): string[] {
  const lines = found
    .slice(0, limit)
    .map(
      (f) =>
        `weights: ${f.name} holds ${f.nan} NaN and ${f.inf} Inf values; generation will fail with non-finite logits`,
    );
  if (found.length > limit) lines.push(`weights: ${found.length - limit} more tensors hold NaN/Inf values`);
  return lines;
}
