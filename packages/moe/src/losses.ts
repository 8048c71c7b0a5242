import * as T from '@tessera/tensor';
import type { Assignment } from './assignment.js';

/**
 * The load-balancing loss of Switch Transformer and fairseq (HF Mixtral's
 * `load_balancing_loss_func` for k choices): E · Σ_e f_e · P_e, with f_e the fraction of choices
 * routed to expert e (over tokens, summed over the k choice ranks) and P_e the mean router
 * probability of e. 1 when both are uniform; the gradient flows through P only. Dropped choices
 * count, as in the references.
 */
export function loadBalanceLoss(a: Assignment): T.Tensor {
  const [tokens] = a.probs.shape;
  const counts = T.sum(T.oneHot(a.experts, a.numExperts), [0, 1]);
  const fraction = T.div(T.cast(counts, 'f32'), tokens);
  const meanProb = T.mean(a.probs, 0);
  return T.mul(T.sum(T.mul(fraction, meanProb)), a.numExperts);
}

/** Router z-loss (ST-MoE): mean over tokens of logsumexp(logits)². */
export function zLoss(a: Assignment): T.Tensor {
  return T.mean(T.square(T.logsumexp(a.logits, -1)));
}
