/**
 * Seeded random numbers: xoshiro128** (Blackman and Vigna) seeded through splitmix32.
 *
 * Everything random in the project (initialisation, dropout-free sampling, data shuffles) draws from
 * an explicit Rng, generated on the calling thread, so the same seed gives the same bits on any
 * thread count. `state()` / `Rng.fromState()` let checkpoints resume the exact stream.
 */
import type { Engine } from './engine.js';
import type { Tensor } from './tensor.js';

export class Rng {
  private s: Uint32Array;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new Error(`Rng: seed must be a finite number, got ${seed}`);
    this.s = new Uint32Array(4);
    let x = (Math.floor(seed) >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if (this.s.every((v) => v === 0)) this.s[0] = 1;
  }

  /** Restores a generator saved with state(). */
  static fromState(state: readonly number[]): Rng {
    if (state.length !== 4 || state.every((v) => v === 0))
      throw new Error(`Rng.fromState: expected 4 words, not all zero, got [${state.join(', ')}]`);
    const r = new Rng(0);
    r.s.set(state);
    return r;
  }

  state(): number[] {
    return Array.from(this.s);
  }

  /** Next 32 random bits as an unsigned integer. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of randomness. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`Rng.int: n must be a positive integer, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller; one value per call). */
  normal(): number {
    const u1 = 1 - this.uniform(),
      u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Index drawn with probability proportional to weights[i] (non-negative, not all zero). */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0)) throw new Error(`Rng.categorical: weight ${w} at ${i} is not a non-negative number`);
      total += w;
    }
    if (!(total > 0)) throw new Error('Rng.categorical: weights sum to zero');
    let r = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i]!;
      if (r < 0) return i;
    }
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
    return weights.length - 1;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }

  /** A tensor of normal samples with the given mean and std. */
  normalTensor(engine: Engine, shape: readonly number[], mean = 0, std = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1),
      data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + std * this.normal();
    return engine.tensor(data, shape);
  }

  /** A tensor of uniform samples in [lo, hi). */
  uniformTensor(engine: Engine, shape: readonly number[], lo = 0, hi = 1): Tensor {
    const n = shape.reduce((a, b) => a * b, 1),
      data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = lo + (hi - lo) * this.uniform();
    return engine.tensor(data, shape);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
