import * as T from '@tessera/tensor';
import type { Assignment } from './assignment.js';

/** What a router did with one batch. */
export interface RoutingStats {
  /** Choices kept per expert. */
  tokensPerExpert: number[];
  /** Fraction of all choices dropped for capacity. */
  dropRate: number;
  /** Max over mean of `tokensPerExpert`: 1 when balanced. */
  imbalance: number;
  /** Mean entropy of the router's distribution per token, in nats. */
  entropy: number;
}

/** Reads the routing statistics of an assignment. */
export async function routingStats(a: Assignment): Promise<RoutingStats> {
  return T.tidy(async () => {
    const kept = a.dropped ? T.logicalNot(a.dropped) : T.onesLike(a.experts);
    const perChoice = T.mul(T.oneHot(a.experts, a.numExperts), T.unsqueeze(T.cast(kept, 'i32'), -1));
    const tokensPerExpert = [...(await T.sum(perChoice, [0, 1]).data())];
    const total = a.experts.size;
    const keptCount = tokensPerExpert.reduce((s, v) => s + v, 0);
    const mean = keptCount / a.numExperts;
    const p = a.probs;
    const entropy = await T.mean(T.neg(T.sum(T.mul(p, T.log(T.maximum(p, 1e-30))), -1))).item();
    return {
      tokensPerExpert,
      dropRate: total === 0 ? 0 : 1 - keptCount / total,
      imbalance: mean === 0 ? 0 : Math.max(...tokensPerExpert) / mean,
      entropy,
    };
  });
}
