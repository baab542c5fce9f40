/**
 * Compares this implementation with a reference folder produced by DeepSeek's official
 * inference/model.py (shared/reference/README.md): config.json, model.safetensors and
 * reference.safetensors holding tokens, logits, decode_logits (prefill P = __metadata__.prefill,
 * then one token at a time), loss, grad.<key> and route.<layer>.experts / .weights.
 *
 * Tolerances (README, for a float32 engine): logits and decode logits 1e-4 absolute; loss 1e-5;
 * each gradient within 1e-3 of its reference max-abs value; routing sets identical. Route weights
 * are held to the logits tolerance. Weights without a reference gradient must get none (or zero).
 * Returns one item per comparison; the CLI renders them.
 */
import { join } from 'node:path';
import { readSafetensors, tensorToFloat32, type StoredTensor } from '../../io/safetensors.js';
import type { Engine, Tensor } from '../../tensor/index.js';
import { loadParams, disposeParams } from './checkpoint.js';
import { readDeepseekV3Config } from './config.js';
import { DeepseekV3 } from './model.js';

export interface CheckItem {
  readonly name: string;
  /** Max abs difference (for routing sets: the number of tokens whose set differs). */
  readonly diff: number;
  readonly tolerance: number;
  readonly pass: boolean;
}

export interface CheckReport {
  readonly items: CheckItem[];
  readonly warnings: string[];
  readonly pass: boolean;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

function maxAbs(a: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}

const item = (name: string, diff: number, tolerance: number): CheckItem => ({
  name,
  diff,
  tolerance,
  pass: diff <= tolerance,
});

/** Routing sets (sorted per token) and weights in the same order, compared with the reference. */
function compareRoutes(
  layer: number,
  experts: Int32Array,
  weights: Float32Array,
  k: number,
  ref: Map<string, StoredTensor>,
): CheckItem[] {
  const re = ref.get(`route.${layer}.experts`),
    rw = ref.get(`route.${layer}.weights`);
  if (!re || !rw) return [];
  const refE = re.data as Int32Array,
    refW = tensorToFloat32(rw),
    n = experts.length / k;
  let wrong = 0,
    wDiff = 0;
  for (let t = 0; t < n; t++) {
    const order = Array.from({ length: k }, (_, j) => j).sort((a, b) => experts[t * k + a]! - experts[t * k + b]!);
    let same = true;
    for (let j = 0; j < k; j++) {
      if (experts[t * k + order[j]!] !== refE[t * k + j]) same = false;
      else wDiff = Math.max(wDiff, Math.abs(weights[t * k + order[j]!]! - refW[t * k + j]!));
    }
    if (!same) wrong++;
  }
  return [item(`route.${layer}.experts`, wrong, 0), item(`route.${layer}.weights`, wDiff, 1e-4)];
}

/** Runs every comparison for the reference folder `dir` on `engine`. */
export async function checkReference(engine: Engine, dir: string): Promise<CheckReport> {
  const parsed = await readDeepseekV3Config(join(dir, 'config.json'));
  const config = parsed.config,
    warnings = [...parsed.warnings];
  const { tensors: ref, metadata: meta } = await readSafetensors(join(dir, 'reference.safetensors'));
  const loaded = await loadParams(engine, config, join(dir, 'model.safetensors'));
  for (const item of loaded.warnings) warnings.push(item);
  const params = loaded.params;
  const model = new DeepseekV3(engine, config, params);
  const items: CheckItem[] = [];
  try {
    const tokRef = ref.get('tokens');
    if (!tokRef) throw new Error(`${dir}/reference.safetensors: no "tokens" tensor`);
    const [B, S] = tokRef.shape as [number, number];
    const tokData = tokRef.data as Int32Array;
    const need = (key: string): StoredTensor => {
      const t = ref.get(key);
      if (!t) throw new Error(`${dir}/reference.safetensors: no "${key}" tensor`);
      return t;
    };
    engine.scope(() => {
      const tokens = engine.tensor(tokData, [B, S], 'i32');
      const out = model.loss(tokens);
      const logits = engine.read(out.logits);
      items.push(item('logits', maxAbsDiff(logits, tensorToFloat32(need('logits'))), 1e-4));
      items.push(item('loss', Math.abs(out.loss.item() - tensorToFloat32(need('loss'))[0]!), 1e-5));
      out.moe.forEach((m, layer) => {
        if (!m) return;
        const weights = engine.read(m.weights) as Float32Array;
        for (const r of compareRoutes(layer, m.experts, weights, config.num_experts_per_tok, ref)) items.push(r);
      });
      out.loss.backward();
    });
    for (const [key, p] of params) {
      const r = ref.get(`grad.${key}`);
      const g = p.grad ? (engine.read(p.grad) as Float32Array) : null;
      if (r) {
        const rv = tensorToFloat32(r);
        items.push(item(`grad.${key}`, g ? maxAbsDiff(g, rv) : maxAbs(rv), 1e-3 * maxAbs(rv)));
      } else if (g && maxAbs(g) > 0) {
        items.push(item(`grad.${key} (none expected)`, maxAbs(g), 0));
      }
    }
    const P = Number(meta.prefill ?? NaN);
    const dref = ref.get('decode_logits');
    if (dref && Number.isInteger(P)) {
      const dec = engine.noGrad(() => decodeLogits(engine, model, tokData, B, S, P));
      items.push(item('decode_logits', maxAbsDiff(dec, tensorToFloat32(dref)), 1e-4));
    }
  } finally {
    model.dispose();
    disposeParams(params);
  }
  return { items, warnings, pass: items.every((i) => i.pass) };
}

/** Prefill tokens[:, :P] on the latent cache, then feed P..S-2 one at a time: (B, S-P, V) logits. */
export function decodeLogits(
  engine: Engine,
  model: DeepseekV3,
  tokens: Int32Array,
  B: number,
  S: number,
  P: number,
): Float32Array {
  const V = model.config.vocab_size,
    rows = S - P;
  const out = new Float32Array(B * rows * V);
  const cache = model.createCache(B, S);
  const put = (logits: Tensor, j: number): void => {
    const last = engine.read(DeepseekV3.lastLogits(logits));
    for (let b = 0; b < B; b++) out.set(last.subarray(b * V, (b + 1) * V), (b * rows + j) * V);
  };
  const cols = (from: number, to: number): Tensor => {
    const d = new Int32Array(B * (to - from));
    for (let b = 0; b < B; b++) d.set(tokens.subarray(b * S + from, b * S + to), b * (to - from));
    return engine.tensor(d, [B, to - from], 'i32');
  };
  try {
    engine.scope(() => put(model.step(cache, cols(0, P)).logits, 0));
    for (let j = 1; j < rows; j++) engine.scope(() => put(model.step(cache, cols(P + j - 1, P + j)).logits, j));
  } finally {
    cache.dispose();
  }
  return out;
}
