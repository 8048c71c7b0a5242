import * as T from '@tessera/tensor';
import type { ExpertBank } from '../experts.js';

/**
 * The reference dispatch: a loop over experts, each run alone and added in with its tokens'
 * combine weights (zero for tokens that did not choose it, or whose choice was dropped). It runs
 * each expert on every token (masking rather than gathering keeps it free of host reads), so it is
 * E times the work: a check, not a path for speed.
 */
export function naiveDispatch(
  x: T.Tensor,
  experts: T.Tensor,
  weights: T.Tensor,
  keep: T.Tensor,
  bank: ExpertBank,
): T.Tensor {
  let out = T.zerosLike(x);
  for (let e = 0; e < bank.numExperts; e++) {
    const we = T.sum(T.where(T.logicalAnd(T.eq(experts, e), keep), weights, 0), -1);
    out = T.add(out, T.mul(T.unsqueeze(we, -1), bank.expert(e, x)));
  }
  return out;
}
