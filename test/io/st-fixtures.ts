/** Shared fixtures for the safetensors tests: one tensor of every dtype, and a deep comparison. */
import assert from 'node:assert/strict';
import { DTYPE_NAMES, type Dtype, fromNumbers } from '../../src/io/dtypes.js';
import type { StoredTensor } from '../../src/io/safetensors.js';

/** One tensor per dtype, with values that exercise each dtype's range. */
export function sampleTensors(): Map<string, StoredTensor> {
  const m = new Map<string, StoredTensor>();
  const shapes: Record<Dtype, number[]> = {
    F64: [2, 3],
    F32: [3, 1, 2],
    F16: [5],
    BF16: [2, 2],
    F8_E4M3: [7],
    I64: [3],
    I32: [2, 2],
    I16: [3],
    I8: [3],
    U8: [3],
    BOOL: [4],
  };
  const values: Record<Dtype, number[]> = {
    F64: [0.1, -2.5, 1e300, -0, 3.14159, 7],
    F32: [1.5, -0.25, 3e38, 1e-40, 0, 42],
    F16: [1, -2, 0.5, 65504, 2 ** -24],
    BF16: [1, -3.5, 1e30, 0.0078125],
    F8_E4M3: [0, 1, -1.5, 448, -448, 2 ** -9, 0.875],
    I64: [0, -(2 ** 53) + 1, 2 ** 40],
    I32: [-(2 ** 31), 2 ** 31 - 1, 0, 7],
    I16: [-32768, 32767, 5],
    I8: [-128, 127, 0],
    U8: [0, 255, 17],
    BOOL: [0, 1, 1, 0],
  };
  for (const dt of DTYPE_NAMES)
    m.set(`t.${dt.toLowerCase()}`, { dtype: dt, shape: shapes[dt], data: fromNumbers(dt, values[dt]) });
  m.set('scalar', { dtype: 'F32', shape: [], data: new Float32Array([9]) });
  m.set('empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) });
  return m;
}

export function assertSameTensors(
  got: ReadonlyMap<string, StoredTensor>,
  want: ReadonlyMap<string, StoredTensor>,
): void {
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [name, w] of want) {
    const g = got.get(name)!;
    assert.equal(g.dtype, w.dtype, name);
    assert.deepEqual([...g.shape], [...w.shape], name);
    assert.equal(g.data.constructor, w.data.constructor, name);
    assert.deepEqual(g.data, w.data, name);
  }
}
