import * as T from '@tessera/tensor';
import type { ExpertBank } from '../experts.js';
import { groupedMatmul } from './grouped-op.js';

/**
 * Dropless dispatch (MegaBlocks): the tokens·k choices sorted by expert (stable, so each group
 * keeps token order), each sorted row gathered from its token, the SwiGLU experts run as three
 * grouped matmuls over all groups at once, and the rows weighted and added back to their tokens.
 * A dropped choice's row is zeroed and weighted 0. The kernel count does not depend on E.
 */
export function groupedDispatch(
  x: T.Tensor,
  experts: T.Tensor,
  weights: T.Tensor,
  keep: T.Tensor,
  bank: ExpertBank,
): T.Tensor {
  const [tokens, k] = experts.shape;
  const n = tokens * k;
  const flat = T.reshape(experts, [n]);
  const order = T.argsort(flat, 0);
  const group = T.indexSelect(flat, 0, order);
  const counts = T.sum(T.oneHot(flat, bank.numExperts), 0);
  const offsets = T.concat([T.zeros([1], { dtype: 'i32', backend: x.backend }), T.cumsum(counts, 0)]);
  const token = T.div(order, k); // i32 division truncates: the token of each sorted choice.
  const w = T.where(T.reshape(keep, [n]), T.reshape(weights, [n]), 0);
  const sortedW = T.unsqueeze(T.indexSelect(w, 0, order), -1);
  const rows = T.indexSelect(x, 0, token);
  const h = T.mul(
    T.silu(groupedMatmul(rows, bank.w1, group, offsets)),
    groupedMatmul(rows, bank.w3, group, offsets),
  );
  const y = groupedMatmul(h, bank.w2, group, offsets);
  return T.indexAdd(T.zerosLike(x), 0, token, T.mul(y, sortedW));
}
