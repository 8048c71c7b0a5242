import { apply } from '../apply.js';
import type { ReduceOp } from '../opset.js';
import { normAxes, normAxis, numel } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, exp, log, sqrt, square, sub } from './elementwise.js';
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

/** Sum over `axes` (default: all). */
export const sum = (x: Tensor, axes?: Axes, keepdim = false): Tensor => reduce('sum', x, axes, keepdim);
/** Maximum over `axes` (default: all); the gradient goes to every maximal element equally. */
export const max = (x: Tensor, axes?: Axes, keepdim = false): Tensor => reduce('max', x, axes, keepdim);
/** Minimum over `axes` (default: all). */
export const min = (x: Tensor, axes?: Axes, keepdim = false): Tensor => reduce('min', x, axes, keepdim);

/** Number of elements reduced over `axes`. */
const countOf = (x: Tensor, axes?: Axes) => numel(normAxes('mean', axes, x.rank).map((a) => x.shape[a]));

/** Arithmetic mean over `axes` (default: all). */
export const mean = (x: Tensor, axes?: Axes, keepdim = false): Tensor =>
  div(sum(x, axes, keepdim), countOf(x, axes));

/** Options of {@link variance} and {@link std}. */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (default, unbiased, as PyTorch) or 0 (population). */
  correction?: number;
  keepdim?: boolean;
}

/** Variance over `axes` (default: all), two-pass for accuracy. */
export function variance(
  x: Tensor,
  axes?: Axes,
  { correction = 1, keepdim = false }: VarianceOptions = {},
): Tensor {
  const centered = sub(x, mean(x, axes, true));
  return div(sum(square(centered), axes, keepdim), Math.max(0, countOf(x, axes) - correction));
}

/** Standard deviation: √{@link variance}. */
export const std = (x: Tensor, axes?: Axes, options: VarianceOptions = {}): Tensor =>
  sqrt(variance(x, axes, options));

/** log Σ exp(x) over `axes`, computed stably as m + log Σ exp(x − m) with m the maximum. */
export function logsumexp(x: Tensor, axes?: Axes, keepdim = false): Tensor {
  // The shift is a constant for the gradient, which is then exactly softmax.
  const m = max(x, axes, true).detach();
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
