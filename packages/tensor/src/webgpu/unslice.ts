import { tensor_map, tensor_math } from '@tessera/kernels';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import { fill, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

/**
 * The adjoint of slice in one pass: each output element finds, dim by dim, whether it sits at
 * `starts + k·steps` with k inside the input, and reads that element or writes 0 (rather than
 * filling zeros and then copying the input in: two dispatches).
 */
export const unsliceGpu =
  (g: Gpu): KernelFn<H, 'unslice'> =>
  (out, [x], { starts, steps }) => {
    const rank = out.shape.length;
    const buffer = g.alloc(out);
    const n = numel(out.shape);
    if (n === 0) return buffer;
    // Words: n, out shape, starts, steps, input shape, input strides, input offset.
    const words = [n, ...out.shape, ...starts, ...steps, ...x.shape, ...x.strides, x.offset];
    const at = (part: number, d: number) => `m(${1 + part * rank + d}u)`;
    const dims: string[] = [];
    for (let d = rank - 1; d >= 0; d--) {
      dims.push(`{
    let c = r % ${at(0, d)};
    r = r / ${at(0, d)};
    let t = i32(c) - i32(${at(1, d)});
    let step = i32(${at(2, d)});
    let q = t / step;
    inside = inside && t >= 0 && t % step == 0 && q < i32(${at(3, d)});
    src = src + u32(max(q, 0)) * ${at(4, d)};
  }`);
    }
    const T = wgslType(out.dtype);
    g.launch({
      key: `unslice:${T}:r${rank}`,
      label: 'tensor/unslice',
      source: () =>
        fill(tensor_map, {
          BINDINGS: `@group(0) @binding(0) var<storage, read> in_x: array<${T}>;\n@group(0) @binding(1) var<storage, read_write> out: array<${T}>;`,
          PARAMS: g.params(2, words),
          INDEX: '',
          MATH: tensor_math,
          WG: g.wg,
          BODY: `var r = i;
  var src = m(${1 + 5 * rank}u);
  var inside = true;
  ${dims.join('\n  ')}
  if (inside) { out[i] = in_x[src]; } else { out[i] = ${T}(0); }`,
        }),
      buffers: [x.handle, buffer],
      words,
      workgroups: Math.ceil(n / g.wg),
    });
    return buffer;
  };
