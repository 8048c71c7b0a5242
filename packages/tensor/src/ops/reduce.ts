import { apply } from '../apply.js';
import type { ReduceOp } from '../opset.js';
import { normAxes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { reshape } from './movement.js';

/** Axes to reduce: one, several, or all when omitted. */
export type Axes = number | number[];

/** The shape `x` would have after reducing `axes` with `keepdim`. */
export const keptShape = (x: Tensor, axes: number[]): number[] => x.shape.map((d, i) => (axes.includes(i) ? 1 : d));

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
