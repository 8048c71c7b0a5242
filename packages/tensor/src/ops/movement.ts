import { apply } from '../apply.js';
import { fmt, ShapeError } from '../errors.js';
import { normAxis, numel, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

/** A new shape with at most one `-1` (inferred). Copies only when `x` is not contiguous. */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  if (shape.length - known.length > 1 || known.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new ShapeError(
      `reshape: invalid target shape ${fmt(shape)} (non-negative integers, at most one -1)`,
    );
  }
  const rest = numel(known);
  const target = shape.map((d) => (d === -1 ? (rest === 0 ? 0 : x.size / rest) : d));
  if (!Number.isInteger(numel(target)) || numel(target) !== x.size) {
    throw new ShapeError(`reshape: cannot view ${x.size} elements of shape ${fmt(x.shape)} as ${fmt(shape)}`);
  }
  if (sameShape(target, x.shape)) return x;
  const src = x.isContiguous ? x : contiguous(x);
  return apply('reshape', [src], { shape: target });
}

/** Collapses dims `start..end` into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis('flatten (start)', start, x.rank);
  const e = normAxis('flatten (end)', end, x.rank);
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Inserts a size-1 dim at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes size-1 dims (all, or the given one). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const a = normAxis('squeeze', axis, x.rank);
  return x.shape[a] === 1 ? reshape(x, [...x.shape.slice(0, a), ...x.shape.slice(a + 1)]) : x;
}

/** Reorders dims: output dim i is input dim `dims[i]`. A view. */
export function permute(x: Tensor, dims: number[]): Tensor {
  const d = dims.map((a) => normAxis('permute', a, x.rank));
  if (d.length !== x.rank || new Set(d).size !== d.length) {
    throw new ShapeError(`permute: dims ${fmt(dims)} must be a permutation of 0..${x.rank - 1}`);
  }
  return d.every((a, i) => a === i) ? x : apply('permute', [x], { dims: d });
}

/** Swaps two dims (default: the last two). A view. */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const dims = [...Array(x.rank).keys()];
  const i = normAxis('transpose', a, x.rank);
  const j = normAxis('transpose', b, x.rank);
  [dims[i], dims[j]] = [dims[j], dims[i]];
  return permute(x, dims);
}

/** Broadcasts size-1 (or missing leading) dims to `shape` without copying; `-1` keeps a dim. */
export function expand(x: Tensor, shape: number[]): Tensor {
  const target = shape.map((d, i) => (d === -1 ? x.shape[i - (shape.length - x.rank)] : d));
  if (sameShape(target, x.shape)) return x;
  return apply('expand', [x], { shape: target });
}

/** One dim's slice `start:end:step` (like Python; negatives count from the end; `end` defaults to the dim's size). */
export interface SliceSpec {
  start?: number;
  end?: number;
  step?: number;
}

/**
 * Slices each dim as `x[s0, s1, …]` would in PyTorch: a number picks (and drops) an index, a
 * {@link SliceSpec} slices, `null` keeps the dim. A view.
 */
export function slice(x: Tensor, specs: (SliceSpec | number | null)[]): Tensor {
  if (specs.length > x.rank)
    throw new ShapeError(`slice: ${specs.length} indices for a tensor of rank ${x.rank}`);
  const starts: number[] = [];
  const steps: number[] = [];
  const shape: number[] = [];
  const drop: number[] = [];
  x.shape.forEach((size, d) => {
    const s = specs[d] ?? null;
    if (typeof s === 'number') {
      const i = s < 0 ? s + size : s;
      if (!Number.isInteger(i) || i < 0 || i >= size) {
        throw new RangeError(`slice: index ${s} is out of range for dim ${d} of size ${size}`);
      }
      starts.push(i);
      steps.push(1);
      shape.push(1);
      drop.push(d);
      return;
    }
    const step = s?.step ?? 1;
    if (!Number.isInteger(step) || step <= 0)
      throw new RangeError(`slice: step must be a positive integer, got ${step} (dim ${d})`);
    const clampIdx = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
    const start = clampIdx(s?.start ?? 0);
    const end = clampIdx(s?.end ?? size);
    starts.push(start);
    steps.push(step);
    shape.push(Math.max(0, Math.ceil((end - start) / step)));
  });
  const sliced =
    starts.every((s) => s === 0) && steps.every((s) => s === 1) && sameShape(shape, x.shape)
      ? x
      : apply('slice', [x], { starts, steps, shape });
  return drop.length
    ? reshape(
        sliced,
        shape.filter((_, d) => !drop.includes(d)),
      )
    : sliced;
}

/** `length` elements of `axis` from `start`. A view. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const a = normAxis('narrow', axis, x.rank);
  const specs: (SliceSpec | null)[] = x.shape.map(() => null);
  specs[a] = { start, end: start + length };
  return slice(x, specs);
}

/** A contiguous copy of `x` (a new buffer even when `x` is already contiguous). */
export const clone = (x: Tensor): Tensor => apply('contiguous', [x], {});

/** `x` itself when contiguous, else a contiguous copy. */
export const contiguous = (x: Tensor): Tensor => (x.isContiguous ? x : clone(x));

/** Joins tensors along an existing axis. */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('concat: expected at least one tensor, got none');
  const a = normAxis('concat', axis, xs[0].rank);
  return xs.length === 1 ? xs[0] : apply('concat', xs, { axis: a });
}

/** Joins tensors along a new axis. */
export function stack(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError('stack: expected at least one tensor, got none');
  const a = normAxis('stack', axis, xs[0].rank + 1);
  return concat(
    xs.map((x) => unsqueeze(x, a)),
    a,
  );
}

/** Splits into pieces of `sizes` (or equal pieces of `size`) along `axis`. Views. */
export function split(x: Tensor, sizes: number | number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, x.rank);
  const n = x.shape[a];
  const list =
    typeof sizes === 'number'
      ? Array.from({ length: Math.ceil(n / sizes) }, (_, i) => Math.min(sizes, n - i * sizes))
      : sizes;
  if (list.reduce((s, v) => s + v, 0) !== n)
    throw new ShapeError(`split: sizes ${fmt(list)} do not add up to dim ${a} of size ${n}`);
  let start = 0;
  return list.map((len) => {
    const piece = narrow(x, a, start, len);
    start += len;
    return piece;
  });
}

/**
 * Pads with a constant. `pads` lists `[before, after]` per dim from the last dim backwards, as
 * `torch.nn.functional.pad` does (`[[1, 1]]` pads the last dim by one on each side).
 */
export function pad(x: Tensor, pads: [number, number][], value = 0): Tensor {
  if (pads.length > x.rank) throw new ShapeError(`pad: ${pads.length} pairs for a tensor of rank ${x.rank}`);
  const before = x.shape.map(() => 0);
  const after = x.shape.map(() => 0);
  pads.forEach(([b, e], i) => {
    if (!Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < 0) {
      throw new RangeError(`pad: pads must be non-negative integers, got [${b}, ${e}]`);
    }
    before[x.rank - 1 - i] = b;
    after[x.rank - 1 - i] = e;
  });
  return apply('pad', [x], { before, after, value });
}
