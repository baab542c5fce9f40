/**
 * The demo's toy task: reverse a string of digits. Sequences are `d1..dn SEP dn..d1`; the loss only
 * counts the reversed half, so the model must learn to attend back across the separator.
 */
import { AdamW, clipGradNorm } from '../nn/index.js';
import { argmax, crossEntropy, Rng, type Engine, type Tensor } from '../tensor/index.js';
import { initTiny, tinyForward, type TinyConfig } from './tiny-transformer.js';

export const SEP = 10;
export interface ReverseDemoOptions {
  digits: number;
  steps: number;
  batch: number;
  lr: number;
  seed: number;
}
export interface ReverseDemoProgress {
  step: number;
  steps: number;
  loss: number;
  tokensPerSec: number;
}
export interface ReverseDemoResult {
  finalLoss: number;
  accuracy: number;
  examples: { input: string; output: string; expected: string }[];
}

function batchOf(rng: Rng, n: number, digits: number): { tokens: number[]; targets: number[] } {
  const T = 2 * digits + 1,
    tokens: number[] = [],
    targets: number[] = [];
  for (let b = 0; b < n; b++) {
    const d = Array.from({ length: digits }, () => rng.int(10));
    const seq = [...d, SEP, ...d.slice().reverse()];
    for (const item of seq) tokens.push(item);
    // position t predicts token t+1; only predictions of the reversed half count
    for (let t = 0; t < T; t++) targets.push(t >= digits && t < T - 1 ? seq[t + 1]! : -100);
  }
  return { tokens, targets };
}

/** Greedy completion of `digits SEP` by full recomputation (the sequence is a dozen tokens). */
function reverseGreedy(engine: Engine, p: Map<string, Tensor>, cfg: TinyConfig, d: number[]): number[] {
  return engine.noGrad(() =>
    engine.scope(() => {
      const seq = [...d, SEP];
      while (seq.length < 2 * d.length + 1) {
        const logits = tinyForward(p, cfg, engine.tensor(seq, [1, seq.length], 'i32')); // (1, T, V)
        const next = argmax(logits, -1).toArray();
        seq.push(next[seq.length - 1]!);
      }
      return seq.slice(d.length + 1);
    }),
  );
}

/** Trains the tiny transformer on digit reversal and reports what it learned. */
export function runReverseDemo(
  engine: Engine,
  o: ReverseDemoOptions,
  onProgress: (p: ReverseDemoProgress) => void = () => {},
): ReverseDemoResult {
  const rng = new Rng(o.seed);
  const cfg: TinyConfig = { vocab: 11, dim: 64, heads: 4, layers: 2, hidden: 128, maxLen: 2 * o.digits + 1 };
  const params = initTiny(engine, cfg, rng);
  const opt = new AdamW(params, { lr: o.lr, weightDecay: 0.01 });
  const T = 2 * o.digits + 1;
  let loss = NaN;
  const t0 = performance.now();
  for (let step = 0; step < o.steps; step++) {
    const { tokens, targets } = batchOf(rng, o.batch, o.digits);
    loss = engine.scope(() => {
      const logits = tinyForward(params, cfg, engine.tensor(tokens, [o.batch, T], 'i32')); // (B, T, V)
      const l = crossEntropy(logits, engine.tensor(targets, [o.batch, T], 'i32'));
      l.backward();
      return l.item();
    });
    clipGradNorm(params.values(), 1.0);
    opt.lr = o.lr * Math.min(1, (step + 1) / 20);
    opt.step();
    opt.zeroGrad();
    const secs = (performance.now() - t0) / 1000;
    onProgress({ step: step + 1, steps: o.steps, loss, tokensPerSec: ((step + 1) * o.batch * T) / secs });
  }
  const test = new Rng(o.seed + 1);
  const examples: ReverseDemoResult['examples'] = [];
  let correct = 0;
  const trials = 50;
  for (let i = 0; i < trials; i++) {
    const d = Array.from({ length: o.digits }, () => test.int(10));
    const out = reverseGreedy(engine, params, cfg, d),
      expected = d.slice().reverse();
    if (out.join('') === expected.join('')) correct++;
    if (i < 5)
      examples.push({
        input: d.join(''),
        output: out.map((x) => (x === SEP ? '|' : x)).join(''),
        expected: expected.join(''),
      });
  }
  opt.dispose();
  for (const t of params.values()) {
    t.grad?.dispose();
    t.dispose();
  }
  return { finalLoss: loss, accuracy: correct / trials, examples };
}
