import { apply } from '../apply.js';
import { DTypeError, fmt, ShapeError } from '../errors.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { flatten, reshape } from './movement.js';

/** `out[i][j][k] = x[i][index[i][j][k]][k]` for axis 1, as `torch.gather`. Index is i32. */
export const gather = (x: Tensor, axis: number, index: Tensor): Tensor =>
  apply('gather', [x, index], { axis: normAxis('gather', axis, x.rank) });

/** A copy of `x` with `src` added at `index` along `axis`, as `torch.Tensor.scatter_add`; repeated indices accumulate. */
export const scatterAdd = (x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor =>
  apply('scatter_add', [x, index, src], { axis: normAxis('scatterAdd', axis, x.rank) });

/** The slices of `x` at the 1-D i32 `index` along `axis`, as `torch.index_select`. */
export const indexSelect = (x: Tensor, axis: number, index: Tensor): Tensor =>
  apply('index_select', [x, index], { axis: normAxis('indexSelect', axis, x.rank) });

/** A copy of `x` with the slices of `src` added at `index` along `axis`, as `torch.index_add`. */
export const indexAdd = (x: Tensor, axis: number, index: Tensor, src: Tensor): Tensor =>
  apply('index_add', [x, index, src], { axis: normAxis('indexAdd', axis, x.rank) });

/**
 * Rows of `weight` [num, ...dims] for i32 `ids` of any shape: [...ids.shape, ...dims], as
 * `torch.nn.functional.embedding`. Differentiable in `weight` (its gradient is an index_add of the
 * output gradient's rows). An id outside [0, num) throws IndexError (on WebGPU at the next read).
 */
export function embedding(weight: Tensor, ids: Tensor): Tensor {
  if (weight.rank < 1)
    throw new ShapeError(`embedding: weight must have rank >= 1, got shape ${fmt(weight.shape)}`);
  if (ids.dtype !== 'i32') throw new DTypeError(`embedding: ids must have dtype i32, got ${ids.dtype}`);
  const rows = indexSelect(weight, 0, flatten(ids));
  return reshape(rows, [...ids.shape, ...weight.shape.slice(1)]);
}

/** i32 one-hot vectors of length `classes` for i32 `ids`: [...ids.shape, classes]. */
export const oneHot = (ids: Tensor, classes: number): Tensor => apply('one_hot', [ids], { classes });

/** Indices that sort `x` along `axis` (stable: ties keep their order). */
export const argsort = (x: Tensor, axis = -1, descending = false): Tensor =>
  apply('argsort', [x], { axis: normAxis('argsort', axis, x.rank), descending });

/** Sorted values and their indices along `axis` (stable). The values carry gradients. */
export function sort(x: Tensor, axis = -1, descending = false): { values: Tensor; indices: Tensor } {
  const indices = argsort(x, axis, descending);
  return { values: gather(x, axis, indices), indices };
}

/**
 * The `k` largest (or, with `largest` false, smallest) values along `axis` and their i32 indices,
 * as `torch.topk`, found without sorting whole rows: the CPU selects with a heap of k per row
 * (O(n log k)); WebGPU takes k rounds of a masked max and arg-max for k up to 16 and the stable
 * sort above. NaN counts as the largest value (first when `largest`, last otherwise), −0 equals +0, and
 * ties go to the lower index (PyTorch leaves their order unspecified). The output is always sorted,
 * best first: `sorted = false` (PyTorch's "any order") gets that order too. The values carry the
 * gradient, which goes to the chosen indices.
 */
export function topk(
  x: Tensor,
  k: number,
  axis = -1,
  largest = true,
  _sorted = true,
): { values: Tensor; indices: Tensor } {
  const a = normAxis('topk', axis, x.rank);
  const indices = apply('topk', [x], { axis: a, k, largest });
  return { values: gather(x, a, indices), indices };
}
