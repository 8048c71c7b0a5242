import { apply } from '../apply.js';
import { isFloat } from '../dtype.js';
import type { ReduceOp } from '../opset.js';
import { normAxes, normAxis, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, add, cast, div, eq, exp, gt, log, lt, mul, sqrt, square, sub, where } from './elementwise.js';
import { flatten, reshape } from './movement.js';

/** Axes to reduce: one, several, or all when omitted. */
export type Axes = number | number[];

/** The shape `x` would have after reducing `axes` with `keepdim`. */
export const keptShape = (x: Tensor, axes: number[]): number[] =>
  x.shape.map((d, i) => (axes.includes(i) ? 1 : d));

function reduce(op: ReduceOp, x: Tensor, axes: Axes | undefined, keepdim: boolean): Tensor {
  const a = normAxes(op, axes, x.rank);
  const out = a.length === 0 ? x : apply(op, [x], { axes: a });
  return keepdim ? reshape(out, keptShape(x, a)) : out;
}

/**
 * Sum over `axes` (default: all). Bool and u8 tensors sum as i32 (a count of true elements for
 * bools), as PyTorch sums them as int64.
 */
export const sum = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  reduce('sum', x.dtype === 'bool' || x.dtype === 'u8' ? cast(x, 'i32') : x, axes, keepdim);
/** Maximum over `axes` (default: all); the gradient goes to every maximal element equally. */
export const max = (x: Tensor, axes?: Axes, keepdim = false): Tensor => reduce('max', x, axes, keepdim);
/** Minimum over `axes` (default: all). */
export const min = (x: Tensor, axes?: Axes, keepdim = false): Tensor => reduce('min', x, axes, keepdim);

/** Number of elements reduced over `axes`. */
const countOf = (x: Tensor, axes?: Axes) => numel(normAxes('mean', axes, x.rank).map((a) => x.shape[a]));

/** Integer tensors as f32, for the statistics that are fractions (as NumPy's mean of integers). */
const asFloat = (x: Tensor): Tensor => (isFloat(x.dtype) ? x : cast(x, 'f32'));

/** Arithmetic mean over `axes` (default: all). Integer tensors give an f32 mean (as NumPy; PyTorch refuses them). */
export const mean = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  div(sum(asFloat(x), axes, keepdim), countOf(x, axes));

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (default, unbiased, as PyTorch) or 0 (population). */
  correction?: number;
  keepdim?: boolean;
}

/**
 * Variance over `axes` (default: all), two-pass for accuracy; f32 for integer tensors. The
 * gradient is PyTorch's, 2(x − mean)/(n − correction): the mean is a constant for it, as the
 * term through the mean sums to zero (and would be inf − inf with an infinite element).
 */
export function variance(
  x: Tensor,
  axes?: Axes,
  { correction = 1, keepdim = false }: VarianceOptions = {},
): Tensor {
  const centered = sub(asFloat(x), mean(x, axes, true).detach());
  return div(sum(square(centered), axes, keepdim), Math.max(0, countOf(x, axes) - correction));
}

/**
 * Standard deviation: √{@link variance}. Where it is 0 (all values equal) its gradient is 0, as in
 * PyTorch, where √'s would be 0 · ∞ = NaN.
 */
export function std(x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor {
  const { correction = 1, keepdim = false } = options;
  // Deviations are divided by the largest one before squaring, so that neither huge (|d| > 1.8e19)
  // nor tiny (|d| < 1e-19) ones overflow or underflow, as PyTorch's float64 accumulation avoids.
  const centered = sub(asFloat(x), mean(x, axes, true).detach());
  const top = max(abs(centered), axes, true).detach();
  const scale = where(mul(gt(top, 0), lt(top, Number.POSITIVE_INFINITY)), top, 1);
  const v = div(sum(square(div(centered, scale)), axes, keepdim), Math.max(0, countOf(x, axes) - correction));
  const zero = eq(v, 0);
  // √ of 1 where v = 0 keeps that branch's gradient finite; the outer where then drops it.
  const root = where(zero, 0, sqrt(where(zero, 1, v)));
  return mul(root, keepdim ? scale : reshape(scale, root.shape as number[]));
}

/**
 * log Σ exp(x) over `axes`, computed stably as m + log Σ exp(x − m) with m the maximum. As in
 * PyTorch, an infinite maximum is not subtracted: all −inf gives −inf, and +inf gives +inf.
 */
export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  // The shift is a constant for the gradient, which is then exactly softmax.
  const top = max(x, axes, true).detach();
  const m = where(eq(abs(top), Number.POSITIVE_INFINITY), 0, top);
  const out = add(log(sum(exp(sub(x, m)), axes, true)), m);
  return keepdim
    ? out
    : reshape(
        out,
        x.shape.filter((_, i) => !normAxes('logsumexp', axes, x.rank).includes(i)),
      );
}

function argReduce(op: 'argmax' | 'argmin', x: Tensor, axis: number | undefined, keepdim: boolean): Tensor {
  if (axis === undefined) {
    const flat = apply(op, [flatten(x)], { axis: 0 });
    return keepdim
      ? reshape(
          flat,
          x.shape.map(() => 1),
        )
      : flat;
  }
  const a = normAxis(op, axis, x.rank);
  const out = apply(op, [x], { axis: a });
  return keepdim ? reshape(out, keptShape(x, [a])) : out;
}

/** Index (i32) of the first maximum along `axis`, or of the flattened tensor when no axis is given. */
export const argmax = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  argReduce('argmax', x, axis, keepdim);
/** Index (i32) of the first minimum along `axis`, or of the flattened tensor when no axis is given. */
export const argmin = (x: Tensor, axis?: number, keepdim = false): Tensor =>
  argReduce('argmin', x, axis, keepdim);

/** Running sum along `axis`. */
export const cumsum = (x: Tensor, axis: number): Tensor =>
  apply('cumsum', [x], { axis: normAxis('cumsum', axis, x.rank) });
