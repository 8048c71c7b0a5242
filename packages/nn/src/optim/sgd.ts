import * as T from '@tessera/tensor';
import { Optimizer } from './optimizer.js';

/** Options of {@link SGD}, as `torch.optim.SGD`. */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

/** Stochastic gradient descent with momentum, dampening, weight decay and Nesterov, as `torch.optim.SGD`. */
export class SGD extends Optimizer {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
  constructor(params: T.Tensor[], o: SGDOptions) {
    super(params, o.lr);
    this.momentum = o.momentum ?? 0;
    this.dampening = o.dampening ?? 0;
    this.weightDecay = o.weightDecay ?? 0;
    this.nesterov = o.nesterov ?? false;
  }
  protected update(p: T.Tensor, grad: T.Tensor, s: Record<string, T.Tensor>) {
    let g = this.weightDecay ? T.add(grad, T.mul(p, this.weightDecay)) : grad;
    const state: Record<string, T.Tensor> = {};
    if (this.momentum) {
      const buf = s.momentum
        ? T.add(T.mul(s.momentum, this.momentum), T.mul(g, 1 - this.dampening))
        : T.clone(g);
      state.momentum = buf;
      g = this.nesterov ? T.add(g, T.mul(buf, this.momentum)) : buf;
    }
    return { value: T.sub(p, T.mul(g, this.lr)), state };
  }
}
