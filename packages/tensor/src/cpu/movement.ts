import { allocArray, type TypedArray } from '../dtype.js';
import type { KernelFn } from '../opset.js';
import { contiguousStrides, numel } from '../shape.js';
import { materialize, offsets } from './strided.js';

type H = TypedArray;

export const movementCpu: { [K in 'concat' | 'pad' | 'unslice']: KernelFn<H, K> } = {
  concat: (out, inputs, { axis }) => {
    const r = allocArray(out.dtype, numel(out.shape));
    const strides = contiguousStrides(out.shape);
    let start = 0;
    for (const x of inputs) {
      const dst = offsets({ shape: x.shape, strides, offset: start * strides[axis] });
      const src = materialize(x);
      for (let i = 0; i < src.length; i++) r[dst[i]] = src[i];
      start += x.shape[axis];
    }
    return r;
  },
  pad: (out, [x], { before, value }) => {
    const r = allocArray(out.dtype, numel(out.shape)).fill(value);
    const strides = contiguousStrides(out.shape);
    const base = before.reduce((acc, b, d) => acc + b * strides[d], 0);
    const dst = offsets({ shape: x.shape, strides, offset: base });
    const src = materialize(x);
    for (let i = 0; i < src.length; i++) r[dst[i]] = src[i];
    return r;
  },
  unslice: (out, [x], { starts, steps }) => {
    const r = allocArray(out.dtype, numel(out.shape));
    const strides = contiguousStrides(out.shape);
    const dst = offsets({
      shape: x.shape,
      strides: strides.map((s, d) => s * steps[d]),
      offset: starts.reduce((acc, s, d) => acc + s * strides[d], 0),
    });
    const src = materialize(x);
    for (let i = 0; i < src.length; i++) r[dst[i]] = src[i];
    return r;
  },
};
