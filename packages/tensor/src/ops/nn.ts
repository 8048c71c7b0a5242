import { apply } from '../apply.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { normAxis, numel, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { arange } from './creation.js';
import { add, cast, div, eq, mul, ne, neg, where } from './elementwise.js';
import { reshape, unsqueeze } from './movement.js';
import { mean, sum } from './reduce.js';

/** softmax along `axis` (default: last), computed in one fused, numerically stable kernel. */
export const softmax = (x: Tensor, axis = -1): Tensor =>
  apply('softmax', [x], { axis: normAxis('softmax', axis, x.rank) });

/** log(softmax(x)) along `axis` (default: last), stable. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor =>
  apply('log_softmax', [x], { axis: normAxis('logSoftmax', axis, x.rank) });

function normalized(
  op: string,
  x: Tensor,
  normalizedShape: number[],
  kernel: 'layer_norm' | 'rms_norm',
  eps: number,
): Tensor {
  const k = normalizedShape.length;
  if (k === 0 || k > x.rank || !sameShape(x.shape.slice(x.rank - k), normalizedShape)) {
    throw new ShapeError(
      `${op}: normalizedShape ${fmt(normalizedShape)} must be the trailing dims of the input ${fmt(x.shape)}`,
    );
  }
  const lead = x.shape.slice(0, x.rank - k);
  const rows = reshape(x, [...lead, numel(normalizedShape)]);
  return reshape(apply(kernel, [rows], { eps }), [...x.shape]);
}

function affine(op: string, y: Tensor, normalizedShape: number[], weight?: Tensor, bias?: Tensor): Tensor {
  for (const [name, p] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (p && !sameShape(p.shape, normalizedShape)) {
      throw new ShapeError(`${op}: ${name} must have shape ${fmt(normalizedShape)}, got ${fmt(p.shape)}`);
    }
  }
  const scaled = weight ? mul(y, weight) : y;
  return bias ? add(scaled, bias) : scaled;
}

/**
 * Layer normalization over the trailing `normalizedShape` dims (as `torch.nn.functional.layer_norm`):
 * (x − mean) / √(var + eps) · weight + bias, with the biased variance.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: number[],
  weight?: Tensor,
  bias?: Tensor,
  eps = 1e-5,
): Tensor {
  return affine(
    'layerNorm',
    normalized('layerNorm', x, normalizedShape, 'layer_norm', eps),
    normalizedShape,
    weight,
    bias,
  );
}

/**
 * RMS normalization over the trailing `normalizedShape` dims: x / √(mean(x²) + eps) · weight.
 * `eps` defaults to 1e-6 (LLaMA's value; `torch.nn.functional.rms_norm` defaults to the dtype's machine epsilon).
 */
export function rmsNorm(x: Tensor, normalizedShape: number[], weight?: Tensor, eps = 1e-6): Tensor {
  return affine(
    'rmsNorm',
    normalized('rmsNorm', x, normalizedShape, 'rms_norm', eps),
    normalizedShape,
    weight,
  );
}

/** Options of {@link crossEntropy}, as in `torch.nn.functional.cross_entropy`. */
export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing and are not counted by the mean. Default −100. */
  ignoreIndex?: number;
  /** `mean` (default) over non-ignored targets, `sum`, or `none` (per target, 0 where ignored). */
  reduction?: 'mean' | 'sum' | 'none';
  /** Mixes the one-hot target with the uniform distribution: (1 − ε)·nll + ε·mean_c(−log p_c). Default 0. */
  labelSmoothing?: number;
}

/**
 * Cross-entropy of `logits` (classes on the LAST axis: [..., C]) against class indices `target`
 * (i32, shape [...]). PyTorch puts classes on axis 1 for inputs of rank > 2: permute such inputs
 * so the class axis is last. Targets outside [0, C) other than `ignoreIndex` contribute zero.
 */
export function crossEntropy(logits: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const { ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (target.dtype !== 'i32')
    throw new DTypeError(`crossEntropy: target must have dtype i32, got ${target.dtype}`);
  if (logits.rank < 1 || !sameShape(target.shape, logits.shape.slice(0, -1))) {
    throw new ShapeError(
      `crossEntropy: target shape ${fmt(target.shape)} must equal the logits' shape without its class axis, ${fmt(logits.shape.slice(0, -1))}`,
    );
  }
  if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
    throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1], got ${labelSmoothing}`);
  const classes = logits.shape[logits.rank - 1];
  const logp = logSoftmax(logits, -1);
  const valid = ne(target, ignoreIndex);
  // One-hot by comparison with 0..C-1 (an ignored target matches no class).
  const hot = eq(
    unsqueeze(target, -1),
    arange(classes, undefined, 1, { backend: logits.backend, dtype: 'i32' }),
  );
  // Picks log p of the target with `where`, not a product with the one-hot: 0 · (−inf) would
  // make a −inf logit of another class NaN (PyTorch gathers).
  let loss = neg(sum(where(hot, logp, 0), -1));
  if (labelSmoothing > 0) loss = add(mul(loss, 1 - labelSmoothing), mul(mean(logp, -1), -labelSmoothing));
  const weight = cast(valid, 'f32');
  loss = where(valid, loss, 0);
  if (reduction === 'none') return loss;
  if (reduction === 'sum') return sum(loss);
  return div(sum(loss), sum(weight));
}
