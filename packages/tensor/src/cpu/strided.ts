import { allocArray, type TypedArray } from '../dtype.js';
import type { View } from '../opset.js';
import { isContiguous, numel } from '../shape.js';

/** A CPU view: a strided window onto a host array. */
export type CpuView = View<TypedArray>;

/**
 * Element offsets of a view in row-major order of its shape (stride 0 repeats an element).
 * Walks the shape like an odometer: one add per element, no division.
 */
export function offsets(v: {
  shape: readonly number[];
  strides: readonly number[];
  offset: number;
}): Int32Array {
  const n = numel(v.shape);
  const out = new Int32Array(n);
  const rank = v.shape.length;
  if (isContiguous(v.shape, v.strides)) {
    for (let i = 0; i < n; i++) out[i] = v.offset + i;
    return out;
  }
  const idx = new Array<number>(rank).fill(0);
  let off = v.offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      off += v.strides[d];
      if (idx[d] < v.shape[d]) break;
      off -= v.strides[d] * v.shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** The view's elements in row-major order: a subarray (no copy) when contiguous, else a copy. Do not write to it. */
export function materialize(v: CpuView): TypedArray {
  const n = numel(v.shape);
  if (isContiguous(v.shape, v.strides)) return v.handle.subarray(v.offset, v.offset + n);
  const out = allocArray(v.dtype, n);
  const offs = offsets(v);
  const src = v.handle;
  for (let i = 0; i < n; i++) out[i] = src[offs[i]];
  return out;
}

/**
 * Splits a view around one axis for row kernels: `outer` rows (all other axes, row-major) each of
 * `len` elements `stride` apart, starting at `base[r]`.
 */
export function rows(v: CpuView, axis: number): { base: Int32Array; len: number; stride: number } {
  const shape = v.shape.filter((_, d) => d !== axis);
  const strides = v.strides.filter((_, d) => d !== axis);
  return { base: offsets({ shape, strides, offset: v.offset }), len: v.shape[axis], stride: v.strides[axis] };
}
