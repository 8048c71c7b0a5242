import { Linear, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';
import { MoEError } from '../errors.js';
import { needCapacityFactor, slots } from './capacity.js';
import { gumbel } from './noise.js';

/** f32 machine epsilon: fairseq clamps the renormalising denominator to it. */
const F32_EPS = 1.1920928955078125e-7;

/** Options of {@link Top2Router}. */
export interface Top2RouterOptions extends ModuleOptions {
  /**
   * Capacity factor cf: capacity = max(minCapacity, ceil(cf · 2 · ceil(tokens / experts))),
   * fairseq's 2·ceil(tokens / experts) scaled by cf (cf = 1 is fairseq exactly). Default 1.
   */
  capacityFactor?: number;
  /** Lower bound of the capacity (DeepSpeed's `min_capacity`). Default 0. */
  minCapacity?: number;
  /**
   * fairseq's `second_expert_policy`: 'all' takes the second-best expert; 'sampling' adds Gumbel
   * noise to the logits before picking the second expert (in training mode only). Default 'all'.
   */
  secondExpertPolicy?: 'all' | 'sampling';
  /**
   * fairseq's `normalize_gate_prob_before_dropping`. false (default): weights are renormalised
   * over the choices that were kept, g/(g1 + g2) with dropped g = 0, so a token that keeps one
   * choice gives it weight 1. true: g/(g1 + g2) over both choices, then dropped ones are zeroed.
   */
  normalizeBeforeDropping?: boolean;
  /** Generator of the Gumbel noise of `secondExpertPolicy: 'sampling'` (default: the global one). */
  noiseGenerator?: T.Generator;
}

/**
 * GShard's top-2 router (fairseq `top2gating`): probabilities = softmax(x·Wᵀ); the first choice is
 * the most probable expert, the second the most probable of the rest (ties to the lower expert
 * id). Slots: first choices in token order, then second choices in token order after all first
 * choices to the same expert; a choice whose slot is at or over the capacity is dropped (weight 0;
 * its position still reports the slot it would have taken). Weights: see
 * {@link Top2RouterOptions.normalizeBeforeDropping}.
 */
export class Top2Router extends Module {
  readonly gate: Linear;
  readonly capacityFactor: number;
  readonly minCapacity: number;
  readonly secondExpertPolicy: 'all' | 'sampling';
  readonly normalizeBeforeDropping: boolean;
  readonly noiseGenerator?: T.Generator;
  constructor(
    readonly dim: number,
    readonly numExperts: number,
    options: Top2RouterOptions = {},
  ) {
    super();
    needInt('Top2Router: numExperts', numExperts, 2);
    needCapacityFactor('Top2Router: capacityFactor', options.capacityFactor ?? 1);
    needInt('Top2Router: minCapacity', options.minCapacity ?? 0, 0);
    const policy = options.secondExpertPolicy ?? 'all';
    if (policy !== 'all' && policy !== 'sampling') {
      throw new MoEError(`Top2Router: secondExpertPolicy must be 'all' or 'sampling', got ${policy}`);
    }
    this.capacityFactor = options.capacityFactor ?? 1;
    this.minCapacity = options.minCapacity ?? 0;
    this.secondExpertPolicy = policy;
    this.normalizeBeforeDropping = options.normalizeBeforeDropping ?? false;
    this.noiseGenerator = options.noiseGenerator;
    this.gate = this.child('gate', new Linear(dim, numExperts, { ...options, bias: false }));
  }

  /** The capacity per expert for a batch of `tokens` tokens. */
  capacity(tokens: number): number {
    return Math.max(
      this.minCapacity,
      Math.ceil(this.capacityFactor * 2 * Math.ceil(tokens / this.numExperts)),
    );
  }

  /** Routes x [tokens, dim]. */
  forward(x: T.Tensor): Assignment {
    needTokens('Top2Router.forward: x', x, this.dim);
    const E = this.numExperts;
    const logits = this.gate.forward(x);
    const probs = T.softmax(logits, -1);
    const first = T.argmax(probs, -1);
    const noisy =
      this.secondExpertPolicy === 'sampling' && this.training
        ? T.add(logits, gumbel(logits.shape, logits.backend, this.noiseGenerator))
        : logits;
    const second = T.argmax(T.maskedFill(noisy, T.cast(T.oneHot(first, E), 'bool'), -Infinity), -1);
    const experts = T.stack([first, second], 1);
    const s1 = slots(first, E);
    const s2 = slots(second, E, s1.counts);
    const positions = T.stack([s1.positions, s2.positions], 1);
    const dropped = T.ge(positions, this.capacity(x.shape[0]));
    const g = T.gather(probs, 1, experts);
    const weights = this.normalizeBeforeDropping
      ? T.where(dropped, 0, renormalise(g))
      : renormalise(T.where(dropped, 0, g));
    return { numExperts: E, experts, weights, positions, dropped, probs, logits };
  }
}

/** g / max(Σ g, eps) over each token's choices, as fairseq. */
function renormalise(g: T.Tensor): T.Tensor {
  return T.div(g, T.maximum(T.sum(g, -1, true), F32_EPS));
}
