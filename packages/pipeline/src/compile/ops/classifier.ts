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
/**
 * The index of the first largest score per row as onnxruntime's std::max_element finds it: a NaN
 * never beats the running best, and a NaN first score is never beaten (so its row gives 0).
 */
function firstLargest(scores: T.Tensor): T.Tensor {
  const nan = T.ne(scores, scores);
  const best = T.argmax(T.where(nan, Number.NEGATIVE_INFINITY, scores), 1, true);
  return T.where(T.narrow(nan, 1, 0, 1), 0, best);
}

export const classifier: CompileRule<'classifier'> = (op) =>
  compiled(([x, reported]) => {
    const scores = x as T.Tensor;
    const single = scores.shape[1] === 1;
    const index =
      single && (op.threshold !== undefined || op.binary !== 'none')
        ? T.cast(T.gt(scores, op.threshold ?? (op.binary === 'negate' ? 0 : 0.5)), 'i32')
        : firstLargest(scores);
    const r = (reported ?? x) as T.Tensor;
    const expanded =
      r.shape[1] === 1 && op.binary === 'complement'
        ? T.concat([T.sub(1, r), r], 1)
        : r.shape[1] === 1 && op.binary === 'negate'
          ? T.concat([T.neg(r), r], 1)
          : r;
    return [{ index, labels: op.labels }, postTransform(expanded, op.post ?? 'none')];
  });
