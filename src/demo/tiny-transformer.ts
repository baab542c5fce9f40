/**
 * A tiny pre-norm decoder-only transformer written with the engine's ops, for the `demo` command
 * and engine-level learning tests: learned positions, causal multi-head attention, RMSNorm and a
 * SwiGLU MLP. It is deliberately not DeepSeek-V3 (that lives in src/models/deepseek-v3/): it shows
 * the engine training something end to end in seconds.
 */
import { linear } from '../nn/index.js';
import {
  add,
  attention,
  embedding,
  permute,
  reshape,
  rmsNorm,
  slice,
  squeeze,
  swiglu,
  type Engine,
  type Rng,
  type Tensor,
} from '../tensor/index.js';

export interface TinyConfig {
  vocab: number;
  dim: number;
  heads: number;
  layers: number;
  hidden: number;
  maxLen: number;
}

/** Parameters by name, created with normal(0, 0.02) weights and unit norm weights. */
export function initTiny(engine: Engine, cfg: TinyConfig, rng: Rng): Map<string, Tensor> {
  const p = new Map<string, Tensor>();
  const w = (name: string, shape: number[], std = 0.02) => {
    const t = engine.keep(rng.normalTensor(engine, shape, 0, std));
    t.requiresGrad = true;
    p.set(name, t);
  };
  const ones = (name: string, n: number) => {
    p.set(name, engine.parameter(new Float32Array(n).fill(1), [n]));
  };
  w('embed', [cfg.vocab, cfg.dim]);
  w('pos', [cfg.maxLen, cfg.dim]);
  for (let l = 0; l < cfg.layers; l++) {
    ones(`l${l}.norm1`, cfg.dim);
    ones(`l${l}.norm2`, cfg.dim);
    w(`l${l}.qkv`, [3 * cfg.dim, cfg.dim]);
    w(`l${l}.o`, [cfg.dim, cfg.dim]);
    w(`l${l}.gate`, [cfg.hidden, cfg.dim]);
    w(`l${l}.up`, [cfg.hidden, cfg.dim]);
    w(`l${l}.down`, [cfg.dim, cfg.hidden]);
  }
  ones('norm', cfg.dim);
  w('head', [cfg.vocab, cfg.dim]);
  return p;
}

/** Logits [B, T, vocab] for int32 tokens [B, T]. */
export function tinyForward(p: Map<string, Tensor>, cfg: TinyConfig, tokens: Tensor): Tensor {
  const [B, T] = tokens.shape as [number, number];
  const e = tokens.engine;
  const g = (k: string) => p.get(k)!;
  const positions = e.tensor(
    Array.from({ length: T }, (_, i) => i),
    [T],
    'i32',
  );
  let h = add(embedding(g('embed'), tokens), embedding(g('pos'), positions)); // (B, T, D)
  const hd = cfg.dim / cfg.heads;
  for (let l = 0; l < cfg.layers; l++) {
    const x = rmsNorm(h, g(`l${l}.norm1`), 1e-6);
    const qkv = reshape(linear(x, g(`l${l}.qkv`)), [B, T, 3, cfg.heads, hd]); // (B, T, 3, H, hd)
    const heads = permute(qkv, [2, 0, 3, 1, 4]); // (3, B, H, T, hd)
    const [q, k, v] = [0, 1, 2].map((i) => squeeze(slice(heads, 0, i, i + 1), 0)); // (B, H, T, hd) each
    const att = attention(q!, k!, v!, { causal: true }); // (B, H, T, hd)
    const merged = reshape(permute(att, [0, 2, 1, 3]), [B, T, cfg.dim]); // (B, T, D)
    h = add(h, linear(merged, g(`l${l}.o`)));
    const y = rmsNorm(h, g(`l${l}.norm2`), 1e-6);
    h = add(h, linear(swiglu(linear(y, g(`l${l}.gate`)), linear(y, g(`l${l}.up`))), g(`l${l}.down`)));
  }
  return linear(rmsNorm(h, g('norm'), 1e-6), g('head')); // (B, T, V)
}
