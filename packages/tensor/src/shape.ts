import { fmt, ShapeError } from './errors.js';

/** Number of elements of a shape. */
export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Row-major strides of a contiguous tensor. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

/** Whether a view with these strides is row-major contiguous (size-1 dims may have any stride). */
export function isContiguous(shape: readonly number[], strides: readonly number[]): boolean {
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    if (shape[i] !== 1 && strides[i] !== acc) return false;
    acc *= shape[i];
  }
  return true;
}

/** NumPy broadcasting of any number of shapes. `what` names the op in the error. */
export function broadcastShapes(what: string, ...shapes: (readonly number[])[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        throw new ShapeError(
          `${what}: shapes ${shapes.map(fmt).join(' and ')} do not broadcast (dim ${o - rank}: ${out[o]} vs ${d})`,
        );
    }
  }
  return out;
}

/** Resolves a possibly negative axis. `what` names the op and argument in the error. */
export function normAxis(what: string, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= Math.max(rank, 1)) {
    throw new ShapeError(
      `${what}: axis ${axis} is out of range for a tensor of rank ${rank} (expected -${rank}..${rank - 1})`,
    );
  }
  return a;
}

/** Resolves a list of axes (default: all), sorted and without repeats. */
export function normAxes(what: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return [...Array(rank).keys()];
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normAxis(what, a, rank)))].sort((a, b) => a - b);
  if (out.length !== list.length) throw new ShapeError(`${what}: axes ${fmt([...list])} repeat an axis`);
  return out;
}

/** Validates a shape argument: non-negative integers. */
export function checkShape(what: string, shape: readonly number[]): number[] {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(`${what}: expected a shape of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return [...shape];
}

/** Whether two shapes are equal. */
export const sameShape = (a: readonly number[], b: readonly number[]): boolean =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * A view's dims with `axes` moved last (kept dims first, each group in order), as row kernels
 * iterate: `rows` kept positions of `len` elements each. `take` reorders a per-dim list the same way.
 */
export function axesLast(
  shape: readonly number[],
  axes: readonly number[],
): {
  order: number[];
  shape: number[];
  rows: number;
  len: number;
  take: (perDim: readonly number[]) => number[];
} {
  const keep = shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const order = [...keep, ...axes];
  const take = (perDim: readonly number[]) => order.map((d) => perDim[d]);
  return {
    order,
    shape: take(shape),
    rows: numel(keep.map((d) => shape[d])),
    len: numel(axes.map((d) => shape[d])),
    take,
  };
}
