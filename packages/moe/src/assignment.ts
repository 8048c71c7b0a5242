import type * as T from '@tessera/tensor';

/**
 * What a router decides for a batch of `tokens` tokens and `k` choices per token, the one shape
 * every dispatch reads. Choice j of token t goes to expert `experts[t, j]` with combine weight
 * `weights[t, j]`; a dropped choice (over an expert's capacity, or not picked by an expert-choice
 * router) contributes nothing, and its token passes through the residual only.
 */
export interface Assignment {
  /** Number of experts. */
  readonly numExperts: number;
  /** i32 [tokens, k]: the expert of each choice, best first. */
  readonly experts: T.Tensor;
  /** f32 [tokens, k]: the combine weight of each choice (carries the gradient to the router). */
  readonly weights: T.Tensor;
  /**
   * i32 [tokens, k]: the slot of each choice in its expert's buffer (the running count of earlier
   * choices routed there, as fairseq counts them), when the router assigns slots.
   */
  readonly positions?: T.Tensor;
  /** bool [tokens, k]: choices dropped for capacity (absent: nothing dropped). */
  readonly dropped?: T.Tensor;
  /** f32 [tokens, numExperts]: the router's probabilities (softmax or sigmoid scores). */
  readonly probs: T.Tensor;
  /** f32 [tokens, numExperts]: the router's logits. */
  readonly logits: T.Tensor;
}

/** The tensors of an assignment, to dispose together. */
export function disposeAssignment(a: Assignment): void {
  for (const t of [a.experts, a.weights, a.positions, a.dropped, a.probs, a.logits]) t?.dispose();
}
