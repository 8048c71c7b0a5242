import { Linear, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';
import { needCapacityFactor } from './capacity.js';

/** Options of {@link ExpertChoiceRouter}. */
export interface ExpertChoiceRouterOptions extends ModuleOptions {
  /** Capacity factor cf: each expert takes C = min(tokens, ceil(tokens · cf / experts)) tokens. Default 1. */
  capacityFactor?: number;
}

/**
 * Expert-choice routing (Zhou et al. 2022): probabilities = softmax(x·Wᵀ) over experts per token,
 * then each expert takes the C tokens it gives the highest probability (ties to the earlier
 * token). Encoded as an assignment with k = experts: choice j of every token is expert j, its
 * weight the token's probability for j where expert j picked the token and 0 elsewhere, `dropped`
 * where it did not; `positions` is the token's rank among the expert's picks (C where dropped). A
 * token may be picked by several experts or by none. Not causal: whether a token is picked
 * depends on later tokens of the batch, so it does not suit autoregressive decoding.
 */
export class ExpertChoiceRouter extends Module {
  readonly gate: Linear;
  readonly capacityFactor: number;
  constructor(
    readonly dim: number,
    readonly numExperts: number,
    options: ExpertChoiceRouterOptions = {},
  ) {
    super();
    needInt('ExpertChoiceRouter: numExperts', numExperts, 1);
    needCapacityFactor('ExpertChoiceRouter: capacityFactor', options.capacityFactor ?? 1);
    this.capacityFactor = options.capacityFactor ?? 1;
    this.gate = this.child('gate', new Linear(dim, numExperts, { ...options, bias: false }));
  }

  /** Tokens each expert takes from a batch of `tokens` tokens. */
  capacity(tokens: number): number {
    return Math.min(tokens, Math.ceil((tokens * this.capacityFactor) / this.numExperts));
  }

  /** Routes x [tokens, dim]. */
  forward(x: T.Tensor): Assignment {
    needTokens('ExpertChoiceRouter.forward: x', x, this.dim);
    const [tokens] = x.shape;
    const E = this.numExperts;
    const C = this.capacity(tokens);
    const backend = x.backend;
    const logits = this.gate.forward(x);
    const probs = T.softmax(logits, -1);
    const picks = T.topk(T.transpose(probs), C, -1).indices;
    const zeros = T.zeros([E, tokens], { dtype: 'i32', backend });
    const picked = T.scatterAdd(zeros, 1, picks, T.ones([E, C], { dtype: 'i32', backend }));
    const rank = T.expand(T.unsqueeze(T.arange(0, C, 1, { dtype: 'i32', backend }), 0), [E, C]);
    const slot = T.transpose(T.scatterAdd(zeros, 1, picks, rank));
    const dropped = T.eq(T.transpose(picked), 0);
    const experts = T.expand(T.unsqueeze(T.arange(0, E, 1, { dtype: 'i32', backend }), 0), [tokens, E]);
    const positions = T.where(dropped, C, slot);
    const weights = T.where(dropped, 0, probs);
    return { numExperts: E, experts: T.contiguous(experts), weights, positions, dropped, probs, logits };
  }
}
