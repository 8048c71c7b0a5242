import * as T from '@tessera/tensor';
import type { PostTransform } from '../ir/types.js';

// biome-ignore lint/suspicious/noApproximativeNumericConstant: onnxruntime's own truncated √2 (ml_sqrt2)
const SQRT2 = Math.fround(1.41421356);

/**
 * onnxruntime's probit: √2 · erfinv(2p − 1) with erfinv by Winitzki's approximation (a = 0.147),
 * accurate to ~2e-3, transcribed from its ml_common.h (1.30, which takes π as M_PI) so that results
 * match it rather than the exact probit.
 */
function probit(p: T.Tensor): T.Tensor {
  const x = T.sub(T.mul(p, 2), 1);
  const sgn = T.where(T.lt(x, 0), -1, T.onesLike(x));
  const l = T.log(T.mul(T.sub(1, x), T.add(x, 1)));
  const v = T.add(T.mul(l, 0.5), 2 / (Math.PI * 0.147));
  const v2 = T.mul(l, 1 / Math.fround(0.147));
  const v3 = T.sub(T.sqrt(T.sub(T.square(v), v2)), v);
  return T.mul(T.mul(sgn, T.sqrt(v3)), SQRT2);
}

/**
 * onnxruntime's SOFTMAX_ZERO: a softmax over the row's non-zero scores (|s| > 1e-7); zero scores
 * stay (near) zero, as s · exp(−max).
 */
function softmaxZero(s: T.Tensor): T.Tensor {
  const top = T.max(s, 1, true);
  const nonzero = T.gt(T.abs(s), 1e-7);
  const e = T.where(nonzero, T.exp(T.sub(s, top)), T.mul(s, T.exp(T.neg(top))));
  return T.div(e, T.sum(T.where(nonzero, e, 0), 1, true));
}

/** Applies a link to scores [rows, k], as ONNX-ML's `post_transform` defines it ('exp': a log link's inverse). */
export function postTransform(scores: T.Tensor, post: PostTransform): T.Tensor {
  switch (post) {
    case 'none':
      return scores;
    case 'logistic':
      return T.sigmoid(scores);
    case 'softmax':
      return T.softmax(scores, 1);
    case 'softmax_zero':
      return softmaxZero(scores);
    case 'probit':
      return probit(scores);
    case 'exp':
      return T.exp(scores);
  }
}
