import * as T from '@tessera/tensor';
import { postTransform } from '../post.js';
import type { CompileRule } from './rule.js';
import { compiled } from './rule.js';

/**
 * The label of each row and the probabilities reported (see ClassifierOp): the label is the largest
 * of the first input's scores (the first on a tie), or, from a single score column, labels[1] above
 * the threshold (0 for 'negate', else 0.5) and labels[0] otherwise; the report is the second input
 * (or the first), a single column expanded to [1 − s, s] ('complement') or [−s, s] ('negate'), then
 * `post`.
 */
export const classifier: CompileRule<'classifier'> = (op) =>
  compiled(([x, reported]) => {
    const scores = x as T.Tensor;
    const single = scores.shape[1] === 1;
    const index =
      single && (op.threshold !== undefined || op.binary !== 'none')
        ? T.cast(T.gt(scores, op.threshold ?? (op.binary === 'negate' ? 0 : 0.5)), 'i32')
        : T.argmax(scores, 1, true);
    const r = (reported ?? x) as T.Tensor;
    const expanded =
      r.shape[1] === 1 && op.binary === 'complement'
        ? T.concat([T.sub(1, r), r], 1)
        : r.shape[1] === 1 && op.binary === 'negate'
          ? T.concat([T.neg(r), r], 1)
          : r;
    return [{ index, labels: op.labels }, postTransform(expanded, op.post ?? 'none')];
  });
