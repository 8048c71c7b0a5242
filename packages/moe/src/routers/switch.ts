import { Linear, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';
import { needCapacityFactor, slots } from './capacity.js';
import { jitter, needJitter } from './noise.js';

/** Options of {@link SwitchRouter}. */
export interface SwitchRouterOptions extends ModuleOptions {
  /**
   * Capacity factor cf: each expert takes at most max(minCapacity, ceil(tokens / experts · cf))
   * choices per batch, later tokens over it are dropped. Absent: no capacity, nothing dropped.
   */
  capacityFactor?: number;
  /** Lower bound of the capacity (DeepSpeed's `min_capacity`). Default 0. */
  minCapacity?: number;
  /** Router jitter ε: in training mode the input is multiplied by U(1 − ε, 1 + ε). Default 0. */
  jitter?: number;
  /** Generator of the jitter noise (default: the global one). */
  noiseGenerator?: T.Generator;
}

/**
 * Switch Transformer's top-1 router (fairseq `top1gating`): logits = x·Wᵀ with `gate`
 * [experts, dim] (no bias), probabilities = softmax(logits), each token to its most probable
 * expert (ties to the lower expert id), combine weight = that probability (not renormalised).
 * With a capacity factor, slots are given in token order (the running count of earlier tokens to
 * the same expert) and a choice whose slot is at or over the capacity is dropped: its weight is 0
 * and its position still reports the slot it would have taken.
 */
export class SwitchRouter extends Module {
  readonly gate: Linear;
  readonly capacityFactor?: number;
  readonly minCapacity: number;
  readonly jitter: number;
  readonly noiseGenerator?: T.Generator;
  constructor(
    readonly dim: number,
    readonly numExperts: number,
    options: SwitchRouterOptions = {},
  ) {
    super();
    needInt('SwitchRouter: numExperts', numExperts, 1);
    if (options.capacityFactor !== undefined)
      needCapacityFactor('SwitchRouter: capacityFactor', options.capacityFactor);
    needInt('SwitchRouter: minCapacity', options.minCapacity ?? 0, 0);
    needJitter('SwitchRouter: jitter', options.jitter ?? 0);
    this.capacityFactor = options.capacityFactor;
    this.minCapacity = options.minCapacity ?? 0;
    this.jitter = options.jitter ?? 0;
    this.noiseGenerator = options.noiseGenerator;
    this.gate = this.child('gate', new Linear(dim, numExperts, { ...options, bias: false }));
  }

  /** The capacity per expert for a batch of `tokens` tokens (Infinity without a capacity factor). */
  capacity(tokens: number): number {
    if (this.capacityFactor === undefined) return Number.POSITIVE_INFINITY;
    return Math.max(this.minCapacity, Math.ceil((tokens / this.numExperts) * this.capacityFactor));
  }

  /** Routes x [tokens, dim]. */
  forward(x: T.Tensor): Assignment {
    needTokens('SwitchRouter.forward: x', x, this.dim);
    const input = this.training ? jitter(x, this.jitter, this.noiseGenerator) : x;
    const logits = this.gate.forward(input);
    const probs = T.softmax(logits, -1);
    const { values, indices: experts } = T.topk(probs, 1, -1);
    const positions = T.unsqueeze(slots(T.squeeze(experts, -1), this.numExperts).positions, -1);
    const cap = this.capacity(x.shape[0]);
    if (cap === Number.POSITIVE_INFINITY)
      return { numExperts: this.numExperts, experts, weights: values, positions, probs, logits };
    const dropped = T.ge(positions, cap);
    const weights = T.where(dropped, 0, values);
    return { numExperts: this.numExperts, experts, weights, positions, dropped, probs, logits };
  }
}
