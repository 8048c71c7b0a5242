import * as T from '@tessera/tensor';
import { Optimizer } from './optimizer.js';

/** Options of {@link AdamW}, with `torch.optim.AdamW`'s defaults. */
export interface AdamWOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), computed as `torch.optim.AdamW` does:
 * p ← p·(1 − lr·wd); m, v updated; p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + eps).
 */
export class AdamW extends Optimizer {
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  constructor(params: T.Tensor[], o: AdamWOptions = {}) {
    super(params, o.lr ?? 1e-3);
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? 1e-2;
  }
  protected update(p: T.Tensor, g: T.Tensor, s: Record<string, T.Tensor>) {
    const [b1, b2] = this.betas;
    const t = this.stepCount;
    const decayed = this.weightDecay ? T.mul(p, 1 - this.lr * this.weightDecay) : p;
    const m = s.exp_avg ? T.add(T.mul(s.exp_avg, b1), T.mul(g, 1 - b1)) : T.mul(g, 1 - b1);
    const v = s.exp_avg_sq
      ? T.add(T.mul(s.exp_avg_sq, b2), T.mul(T.square(g), 1 - b2))
      : T.mul(T.square(g), 1 - b2);
    const stepSize = this.lr / (1 - b1 ** t);
    const denom = T.add(T.div(T.sqrt(v), Math.sqrt(1 - b2 ** t)), this.eps);
    return { value: T.sub(decayed, T.mul(T.div(m, denom), stepSize)), state: { exp_avg: m, exp_avg_sq: v } };
  }
}
