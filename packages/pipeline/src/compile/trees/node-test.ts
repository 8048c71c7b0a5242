import * as T from '@tessera/tensor';
import { type CanonicalOp, EQ, LE, LT } from './canonical.js';

/** Per-node parameters of the canonical test, as tensors broadcastable against the feature values. */
export interface NodeParams {
  tau: T.Tensor;
  /** u8 canonical op per node; omitted when every node uses `uniformOp`. */
  op?: T.Tensor;
  missingTrue: T.Tensor;
}

const compare = (x: T.Tensor, tau: T.Tensor, op: CanonicalOp) =>
  op === LT ? T.lt(x, tau) : op === LE ? T.le(x, tau) : T.eq(x, tau);

/**
 * Whether each node takes its true branch (u8), for feature values `x` read at each node: the
 * node's comparison, or its missing-value branch where x is NaN (a comparison with NaN is false).
 */
export function nodeTest(x: T.Tensor, p: NodeParams, uniformOp: CanonicalOp | null): T.Tensor {
  let cmp: T.Tensor;
  if (uniformOp !== null) cmp = compare(x, p.tau, uniformOp);
  else {
    const op = p.op as T.Tensor;
    cmp = T.where(
      T.eq(op, LT),
      compare(x, p.tau, LT),
      T.where(T.eq(op, LE), compare(x, p.tau, LE), compare(x, p.tau, EQ)),
    );
  }
  return T.where(T.ne(x, x), p.missingTrue, cmp);
}
