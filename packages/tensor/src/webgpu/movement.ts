import type { KernelFn } from '../opset.js';
import { contiguousStrides } from '../shape.js';
import type { Gpu } from './gpu.js';
import { copyInto, filled } from './map.js';
import { unsliceGpu } from './unslice.js';

type H = GPUBuffer;

export function movementGpu(g: Gpu): { [K in 'concat' | 'pad' | 'unslice']: KernelFn<H, K> } {
  return {
    concat: (out, xs, { axis }) => {
      const buffer = g.alloc(out);
      const strides = contiguousStrides(out.shape);
      let start = 0;
      for (const x of xs) {
        copyInto(g, x, { buffer, dtype: out.dtype, view: { strides, offset: start * strides[axis] } });
        start += x.shape[axis];
      }
      return buffer;
    },
    pad: (out, [x], { before, value }) => {
      const buffer = filled(g, out, value);
      const strides = contiguousStrides(out.shape);
      const offset = before.reduce((acc, b, d) => acc + b * strides[d], 0);
      copyInto(g, x, { buffer, dtype: out.dtype, view: { strides, offset } });
      return buffer;
    },
    unslice: unsliceGpu(g),
  };
}
