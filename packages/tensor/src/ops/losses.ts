import { customGrad } from '../custom-grad.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import {
  abs,
  add,
  cast,
  div,
  exp,
  log,
  log1p,
  maximum,
  mul,
  ne,
  neg,
  square,
  sub,
  where,
} from './elementwise.js';
import { gather } from './indexing.js';
import { squeeze, unsqueeze } from './movement.js';
import { mean, sum } from './reduce.js';

/** How a loss reduces over elements: PyTorch's `reduction`. */
export type Reduction = 'mean' | 'sum' | 'none';

function reduceLoss(op: string, loss: Tensor, reduction: Reduction): Tensor {
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  if (reduction === 'mean') return mean(loss);
  throw new RangeError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${reduction}'`);
}

function sameShapes(op: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(
      `${op}: target shape ${fmt(target.shape)} must equal the input's, ${fmt(input.shape)}`,
    );
}

/** Mean squared error, as `torch.nn.functional.mse_loss`. */
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShapes('mseLoss', input, target);
  return reduceLoss('mseLoss', square(sub(input, target)), reduction);
}

/**
 * Binary cross-entropy of probabilities `input` against `target` in [0, 1], as
 * `torch.nn.functional.binary_cross_entropy`: each log is clamped to >= −100, so a probability of
 * exactly 0 or 1 gives a finite loss.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  sameShapes('binaryCrossEntropy', input, target);
  const loss = customGrad(
    'binary_cross_entropy',
    [input, target],
    () => {
      const logp = maximum(log(input), -100);
      const log1mp = maximum(log1p(neg(input)), -100);
      return neg(add(mul(target, logp), mul(sub(1, target), log1mp)));
    },
    // PyTorch's: (p − y) / max(p(1 − p), 1e-12) for p, and the unclamped ln(1 − p) − ln p for y.
    (g, { needs }) => [
      needs[0] ? div(mul(g, sub(input, target)), maximum(mul(sub(1, input), input), 1e-12)) : null,
      needs[1] ? mul(g, sub(log1p(neg(input)), log(input))) : null,
    ],
  );
  return reduceLoss('binaryCrossEntropy', loss, reduction);
}

/**
 * Binary cross-entropy of logits, as `binary_cross_entropy_with_logits`, in the stable form
 * max(x, 0) − x·y + log(1 + e^−|x|).
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  reduction: Reduction = 'mean',
): Tensor {
  sameShapes('binaryCrossEntropyWithLogits', input, target);
  const loss = add(sub(maximum(input, 0), mul(input, target)), log1p(exp(neg(abs(input)))));
  return reduceLoss('binaryCrossEntropyWithLogits', loss, reduction);
}

/**
 * Negative log-likelihood of log-probabilities `input` ([N, C], classes last) at class indices
 * `target` (i32 [N]), as `torch.nn.functional.nll_loss`; targets equal to `ignoreIndex` count for
 * nothing, and the mean is over the others.
 */
export function nllLoss(
  input: Tensor,
  target: Tensor,
  { ignoreIndex = -100, reduction = 'mean' }: { ignoreIndex?: number; reduction?: Reduction } = {},
): Tensor {
  if (target.dtype !== 'i32')
    throw new DTypeError(`nllLoss: target must have dtype i32, got ${target.dtype}`);
  if (input.rank !== 2 || target.rank !== 1 || target.shape[0] !== input.shape[0])
    throw new ShapeError(
      `nllLoss: expected input [N, C] and target [N], got ${fmt(input.shape)} and ${fmt(target.shape)}`,
    );
  const valid = ne(target, ignoreIndex);
  const safe = where(valid, target, 0);
  const picked = squeeze(gather(input, 1, unsqueeze(safe, 1)), 1);
  const loss = where(valid, neg(picked), 0);
  if (reduction === 'mean') return div(sum(loss), sum(cast(valid, 'f32')));
  return reduceLoss('nllLoss', loss, reduction);
}
