/**
 * Central finite-difference gradient checking in float64.
 *
 * The scalar probed is L = sum_i w_i * f(x)_i with fixed random weights w, summed in float64 in JS
 * from the float32 outputs; the analytic gradient is f's backward seeded with w. Inputs are
 * perturbed one element at a time by +-h. Float32 outputs limit the precision, so h is large enough
 * (1e-2 by default) for the float32 rounding of f to stay well under the tolerance.
 */
import assert from 'node:assert/strict';
import { type Engine, Rng, type Tensor } from '../../src/tensor/index.js';

export interface GradInput {
  shape: number[];
  /** Explicit values (default: uniform in [lo, hi)). */
  data?: number[];
  lo?: number;
  hi?: number;
  /** An int32 input (indices): passed through, not checked. */
  int?: boolean;
  /** A float input the op gives no gradient (a mask or condition): passed through, not checked. */
  constant?: boolean;
}

export interface GradcheckOptions {
  h?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

/** Checks the gradients of every float input of fn against central finite differences. */
export function gradcheck(
  engine: Engine,
  name: string,
  fn: (...xs: Tensor[]) => Tensor,
  inputs: GradInput[],
  opts: GradcheckOptions = {},
): void {
  const h = opts.h ?? 1e-2,
    atol = opts.atol ?? 2e-3,
    rtol = opts.rtol ?? 2e-2;
  const rng = new Rng(opts.seed ?? 1234);
  const values = inputs.map((inp) => {
    if (inp.data) return Float64Array.from(inp.data);
    const n = inp.shape.reduce((a, b) => a * b, 1),
      lo = inp.lo ?? -1,
      hi = inp.hi ?? 1;
    return Float64Array.from({ length: n }, () => lo + (hi - lo) * rng.uniform());
  });
  let weights: Float64Array | undefined;
  const evaluate = (vals: Float64Array[], withGrad: boolean): { loss: number; grads: (Float32Array | null)[] } =>
    engine.scope(() => {
      const xs = inputs.map((inp, i) => {
        const t = engine.tensor(vals[i]!, inp.shape, inp.int ? 'i32' : 'f32');
        if (withGrad && !inp.int && !inp.constant) t.requiresGrad = true;
        return t;
      });
      const y = fn(...xs);
      const out = y.toArray();
      if (!weights) weights = Float64Array.from({ length: out.length }, () => rng.uniform() * 2 - 1);
      let loss = 0;
      for (let i = 0; i < out.length; i++) loss += weights[i]! * out[i]!;
      const grads: (Float32Array | null)[] = [];
      if (withGrad) {
        y.backward(engine.tensor(weights, y.shape));
        for (const x of xs) {
          grads.push(x.grad ? (x.grad.toArray() as Float32Array) : null);
          x.grad?.dispose();
        }
      }
      return { loss, grads };
    });
  const base = evaluate(values, true);
  inputs.forEach((inp, i) => {
    if (inp.int || inp.constant) return;
    const analytic = base.grads[i];
    assert.ok(analytic, `${name}: input ${i} got no gradient`);
    const v = values[i]!;
    for (let j = 0; j < v.length; j++) {
      const orig = v[j]!;
      v[j] = orig + h;
      const lp = evaluate(values, false).loss;
      v[j] = orig - h;
      const lm = evaluate(values, false).loss;
      v[j] = orig;
      const numeric = (lp - lm) / (2 * h);
      const a = analytic![j]!;
      const tol = atol + rtol * Math.abs(numeric);
      assert.ok(
        Math.abs(a - numeric) <= tol,
        `${name}: d/dinput${i}[${j}] analytic ${a} vs numeric ${numeric} (tol ${tol.toExponential(2)})`,
      );
    }
  });
}
