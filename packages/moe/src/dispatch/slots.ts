import * as T from '@tessera/tensor';
import type { ExpertBank } from '../experts.js';

/**
 * The running count of earlier choices routed to the same expert, i32 [tokens, k], counting as
 * fairseq's top-2 gate does: all first choices in token order, then all second choices, …, so
 * capacity is filled with first choices before second ones.
 */
export function runningCount(experts: T.Tensor, numExperts: number): T.Tensor {
  const [tokens, k] = experts.shape;
  const hot = T.oneHot(T.reshape(T.transpose(experts, 0, 1), [k * tokens]), numExperts);
  // Exclusive prefix count per expert, read at each choice's own expert.
  const count = T.sum(T.mul(T.sub(T.cumsum(hot, 0), hot), hot), -1);
  return T.transpose(T.reshape(count, [k, tokens]), 0, 1);
}

/** What {@link runInSlots} places: the choices' experts, slots, kept flags and weights, all [tokens, k]. */
export interface Slotted {
  experts: T.Tensor;
  positions: T.Tensor;
  keep: T.Tensor;
  weights: T.Tensor;
}

/**
 * Runs every kept choice in its slot of an [E, capacity, dim] buffer through the bank at once and
 * combines: out[t] = Σ_j keep·weights[t, j] · expert(x[t]) read back from the choice's slot.
 * Scatter and gather are one index_add and one index_select, so the kernel count does not depend
 * on E. A dropped choice scatters a zero row (to slot 0, harmlessly) and reads with weight 0.
 */
export function runInSlots(x: T.Tensor, s: Slotted, capacity: number, bank: ExpertBank): T.Tensor {
  const [tokens, k] = s.experts.shape;
  const dim = x.shape[1];
  const E = bank.numExperts;
  const slot = T.reshape(T.where(s.keep, T.add(T.mul(s.experts, capacity), s.positions), 0), [tokens * k]);
  const keepF = T.unsqueeze(T.reshape(T.cast(s.keep, x.dtype), [tokens * k]), -1);
  const rows = T.mul(T.reshape(T.expand(T.unsqueeze(x, 1), [tokens, k, dim]), [tokens * k, dim]), keepF);
  const buffer = T.indexAdd(
    T.zeros([E * capacity, dim], { dtype: x.dtype, backend: x.backend }),
    0,
    slot,
    rows,
  );
  const y = T.reshape(bank.forward(T.reshape(buffer, [E, capacity, dim])), [E * capacity, dim]);
  const w = T.unsqueeze(T.reshape(T.where(s.keep, s.weights, 0), [tokens * k]), -1);
  return T.sum(T.reshape(T.mul(T.indexSelect(y, 0, slot), w), [tokens, k, dim]), 1);
}
