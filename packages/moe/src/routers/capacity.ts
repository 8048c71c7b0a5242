import * as T from '@tessera/tensor';
import { MoEError } from '../errors.js';

/** Throws unless `cf` is a finite number above 0, naming `what`. */
export function needCapacityFactor(what: string, cf: number): void {
  if (typeof cf !== 'number' || !Number.isFinite(cf) || cf <= 0) {
    throw new MoEError(`${what} must be a finite number > 0, got ${cf}`);
  }
}

/**
 * Slots of one rank of choices, as fairseq's `fused_cumsum_sub_one`: the slot of token t in its
 * expert's buffer is the number of earlier tokens (in token order) that chose the same expert,
 * plus `offset[e]` (fairseq puts second choices after all first choices to the expert). Returns the
 * i32 slots [tokens] and the i32 count of choices per expert [numExperts].
 */
export function slots(
  experts: T.Tensor,
  numExperts: number,
  offset?: T.Tensor,
): { positions: T.Tensor; counts: T.Tensor } {
  const mask = T.oneHot(experts, numExperts);
  const running = T.sub(T.cumsum(mask, 0), 1);
  const located = offset ? T.add(running, offset) : running;
  const positions = T.squeeze(T.gather(located, 1, T.unsqueeze(experts, -1)), -1);
  return { positions, counts: T.sum(mask, 0) };
}
