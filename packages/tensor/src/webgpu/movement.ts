import type { KernelFn } from '../opset.js';
import { contiguousStrides } from '../shape.js';
import { creationGpu, map, mapInto } from './elementwise.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

export function movementGpu(g: Gpu): { [K in 'contiguous' | 'concat' | 'pad' | 'unslice']: KernelFn<H, K> } {
  const { full } = creationGpu(g);
  return {
    contiguous: (out, xs) => map(g, 'copy', out, xs, ['a'], 'a'),
    concat: (out, xs, { axis }) => {
      const buffer = g.alloc(out);
      const strides = contiguousStrides(out.shape);
      let start = 0;
      for (const x of xs) {
        const view = { shape: x.shape, strides, offset: start * strides[axis] };
        mapInto(g, 'copy_into', x.shape, { buffer, dtype: out.dtype, view }, [x], ['a'], 'a');
        start += x.shape[axis];
      }
      return buffer;
    },
    pad: (out, [x], { before, value }) => {
      const buffer = full(out, [], { shape: [...out.shape], dtype: out.dtype, value });
      const strides = contiguousStrides(out.shape);
      const offset = before.reduce((acc, b, d) => acc + b * strides[d], 0);
      mapInto(
        g,
        'copy_into',
        x.shape,
        { buffer, dtype: out.dtype, view: { shape: x.shape, strides, offset } },
        [x],
        ['a'],
        'a',
      );
      return buffer;
    },
    unslice: (out, [x], { starts, steps }) => {
      const buffer = full(out, [], { shape: [...out.shape], dtype: out.dtype, value: 0 });
      const strides = contiguousStrides(out.shape);
      const view = {
        shape: x.shape,
        strides: strides.map((s, d) => s * steps[d]),
        offset: starts.reduce((acc, s, d) => acc + s * strides[d], 0),
      };
      mapInto(g, 'copy_into', x.shape, { buffer, dtype: out.dtype, view }, [x], ['a'], 'a');
      return buffer;
    },
  };
}
