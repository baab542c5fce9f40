/**
 * AdamW (Loshchilov and Hutter, decoupled weight decay) over a map of named parameters.
 *
 * DeepSeek-V3 trains with AdamW, beta1 0.9, beta2 0.95, weight decay 0.1 (V3 paper section 4.2);
 * those are the defaults here. Moments live in the engine heap beside the parameters and are exposed
 * by name so checkpoints can save and restore them exactly. Parameters without a gradient this step
 * are left untouched (their moments too).
 */
import type { Tensor } from '../tensor/index.js';

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** Parameter names that get no weight decay (e.g. norms, biases); default: none excluded. */
  noDecay?: (name: string) => boolean;
}

export class AdamW {
  /** Steps taken (bias correction uses step + 1 on the next call). */
  step_ = 0;
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly m = new Map<string, Tensor>();
  private readonly v = new Map<string, Tensor>();

  constructor(
    readonly params: ReadonlyMap<string, Tensor>,
    private readonly opts: AdamWOptions,
  ) {
    if (!(opts.lr >= 0)) throw new Error(`AdamW: lr must be a non-negative number, got ${opts.lr}`);
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.95;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.1;
    for (const [name, b] of [
      ['beta1', this.beta1],
      ['beta2', this.beta2],
    ] as const) {
      if (!(b >= 0 && b < 1)) throw new Error(`AdamW: ${name} must be in [0, 1), got ${b}`);
    }
    for (const [name, p] of params) {
      if (!p.requiresGrad) continue;
      const e = p.engine;
      this.m.set(name, e.keep(e.zeros(p.shape)));
      this.v.set(name, e.keep(e.zeros(p.shape)));
    }
  }

  /** Applies one update to every parameter that has a gradient. */
  step(): void {
    this.step_++;
    for (const [name, p] of this.params) {
      const g = p.grad;
      if (!g || !p.requiresGrad) continue;
      const decay = this.opts.noDecay?.(name) ? 0 : this.weightDecay;
      p.engine.backend.adamw({
        param: p.ptr,
        grad: g.ptr,
        m: this.m.get(name)!.ptr,
        v: this.v.get(name)!.ptr,
        n: p.size,
        lr: this.lr,
        beta1: this.beta1,
        beta2: this.beta2,
        eps: this.eps,
        weightDecay: decay,
        step: this.step_,
      });
    }
  }

  /** Frees every parameter's gradient (the next backward allocates fresh ones). */
  zeroGrad(): void {
    for (const p of this.params.values()) {
      p.grad?.dispose();
      p.grad = null;
    }
  }

  /** The first and second moment tensors by parameter name, for checkpoints. */
  state(): { m: ReadonlyMap<string, Tensor>; v: ReadonlyMap<string, Tensor> } {
    return { m: this.m, v: this.v };
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
