import { Module, type ModuleOptions, uniformInit } from '@tessera/nn';
import * as T from '@tessera/tensor';
import type { Assignment } from '../assignment.js';
import { needInt, needTokens } from '../check.js';
import { MoEError } from '../errors.js';

/** Options of {@link DeepSeekV3Router}. */
export interface DeepSeekV3RouterOptions extends ModuleOptions {
  /** Expert groups (`n_group`); `numExperts` must divide into them. Default 1. */
  nGroup?: number;
  /** Groups kept per token (`topk_group`). Default `nGroup`. */
  topkGroup?: number;
  /** Divide the k chosen scores by their sum (`norm_topk_prob`). Default true. */
  normTopkProb?: boolean;
  /** Factor on the final weights (`routed_scaling_factor`). Default 1. */
  routedScalingFactor?: number;
}

/**
 * DeepSeek-V3's router (HF `DeepseekV3TopkRouter`), parameters `weight` [experts, dim] and
 * `e_score_correction_bias` [experts] (a buffer without gradient, named as HF so checkpoints load).
 * Scores = sigmoid(x·Wᵀ). Selection only adds the bias: each group of experts scores the sum of its
 * two best biased scores, the `topkGroup` best groups are kept, and the k best biased scores inside
 * them are chosen (ties to the lower group / expert id; experts outside kept groups are never
 * chosen, as DeepSeek's reference code, where HF fills them with 0 instead of −∞, which differs only
 * when a biased score is negative). Weights are the unbiased scores of the chosen experts,
 * normalised if `normTopkProb` (denominator + 1e-20), times `routedScalingFactor`. Dropless.
 * `probs` of the assignment are the sigmoid scores.
 */
export class DeepSeekV3Router extends Module {
  readonly weight: T.Tensor;
  readonly e_score_correction_bias: T.Tensor;
  readonly nGroup: number;
  readonly topkGroup: number;
  readonly normTopkProb: boolean;
  readonly routedScalingFactor: number;
  constructor(
    readonly dim: number,
    readonly numExperts: number,
    readonly k: number,
    options: DeepSeekV3RouterOptions = {},
  ) {
    super();
    needInt('DeepSeekV3Router: numExperts', numExperts, 1);
    const nGroup = options.nGroup ?? 1;
    needInt('DeepSeekV3Router: nGroup', nGroup, 1, numExperts);
    if (numExperts % nGroup !== 0 || numExperts / nGroup < 2) {
      throw new MoEError(
        `DeepSeekV3Router: nGroup must split numExperts ${numExperts} into groups of at least 2, got ${nGroup}`,
      );
    }
    const topkGroup = options.topkGroup ?? nGroup;
    needInt('DeepSeekV3Router: topkGroup', topkGroup, 1, nGroup);
    needInt('DeepSeekV3Router: k', k, 1, (topkGroup * numExperts) / nGroup);
    const scale = options.routedScalingFactor ?? 1;
    if (!Number.isFinite(scale))
      throw new MoEError(`DeepSeekV3Router: routedScalingFactor must be finite, got ${scale}`);
    this.nGroup = nGroup;
    this.topkGroup = topkGroup;
    this.normTopkProb = options.normTopkProb ?? true;
    this.routedScalingFactor = scale;
    this.weight = this.param('weight', uniformInit([numExperts, dim], 1 / Math.sqrt(dim), options));
    const backend = options.backend ?? T.getBackend();
    this.e_score_correction_bias = this.param('e_score_correction_bias', T.zeros([numExperts], { backend }));
    this.e_score_correction_bias.requiresGrad = false;
  }

  /** Routes x [tokens, dim]. */
  forward(x: T.Tensor): Assignment {
    needTokens('DeepSeekV3Router.forward: x', x, this.dim);
    const [tokens] = x.shape;
    const E = this.numExperts;
    const G = this.nGroup;
    const logits = T.linear(x, this.weight);
    const scores = T.sigmoid(logits);
    const experts = T.noGrad(() => {
      const biased = T.add(scores, this.e_score_correction_bias);
      const grouped = T.reshape(biased, [tokens, G, E / G]);
      const groupScores = T.sum(T.topk(grouped, 2, -1).values, -1);
      const kept = T.topk(groupScores, this.topkGroup, -1).indices;
      const groupMask = T.gt(T.sum(T.oneHot(kept, G), 1), 0);
      const mask = T.reshape(T.expand(T.unsqueeze(groupMask, -1), [tokens, G, E / G]), [tokens, E]);
      return T.topk(T.maskedFill(biased, T.logicalNot(mask), -Infinity), this.k, -1).indices;
    });
    let weights = T.gather(scores, 1, experts);
    if (this.normTopkProb) weights = T.div(weights, T.add(T.sum(weights, -1, true), 1e-20));
    if (this.routedScalingFactor !== 1) weights = T.mul(weights, this.routedScalingFactor);
    return { numExperts: E, experts, weights, probs: scores, logits };
  }

  /**
   * DeepSeek-V3's auxiliary-loss-free balancing: bias_e += rate · sign(mean load − load_e), where
   * load_e counts the kept choices of `a` routed to e. Overloaded experts become less likely to be
   * selected, underloaded ones more; the weights never see the bias. No gradient is recorded.
   */
  updateBias(a: Assignment, rate: number): void {
    if (!Number.isFinite(rate) || rate < 0)
      throw new MoEError(`DeepSeekV3Router.updateBias: rate must be a finite number >= 0, got ${rate}`);
    if (a.numExperts !== this.numExperts)
      throw new MoEError(
        `DeepSeekV3Router.updateBias: assignment must have ${this.numExperts} experts, got ${a.numExperts}`,
      );
    const next = T.tidy(() =>
      T.noGrad(() => {
        let hits = T.oneHot(a.experts, this.numExperts);
        if (a.dropped) hits = T.mul(hits, T.unsqueeze(T.cast(T.logicalNot(a.dropped), 'i32'), -1));
        const load = T.cast(T.sum(hits, [0, 1]), 'f32');
        const step = T.mul(T.sign(T.sub(T.mean(load), load)), rate);
        return T.add(this.e_score_correction_bias, step);
      }),
    );
    T.noGrad(() => this.e_score_correction_bias.assign(next));
    next.dispose();
  }
}
