import { Linear, Module, type ModuleOptions } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';

/** Options of {@link TopKRouter}. */
export interface TopKRouterOptions extends ModuleOptions {
  /**
   * Divide the k chosen probabilities by their sum (Mixtral; Qwen2-MoE's `norm_topk_prob`).
   * Default true.
   */
  normalize?: boolean;
}

/**
 * Mixtral's router (`MixtralSparseMoeBlock`): logits = x·Wᵀ with `gate` [experts, dim] (no
 * bias), probabilities = softmax(logits), the k largest per token (ties to the lower expert id),
 * their probabilities renormalised to sum to 1 (equal to a softmax over the k chosen logits).
 * Dropless: no capacity, nothing dropped.
 */
export class TopKRouter extends Module {
  readonly gate: Linear;
  readonly normalize: boolean;
  constructor(
    readonly dim: number,
    readonly numExperts: number,
    readonly k: number,
    options: TopKRouterOptions = {},
  ) {
    super();
    needInt('TopKRouter: numExperts', numExperts, 1);
    needInt('TopKRouter: k', k, 1, numExperts);
    this.normalize = options.normalize ?? true;
    this.gate = this.child('gate', new Linear(dim, numExperts, { ...options, bias: false }));
  }

  /** Routes x [tokens, dim]. */
  forward(x: T.Tensor): Assignment {
    needTokens('TopKRouter.forward: x', x, this.dim);
    const logits = this.gate.forward(x);
    const probs = T.softmax(logits, -1);
    const { values, indices } = T.topk(probs, this.k, -1);
    const weights = this.normalize ? T.div(values, T.sum(values, -1, true)) : values;
    return { numExperts: this.numExperts, experts: indices, weights, probs, logits };
  }
}
