import { paramBlock, specialize } from '@tessera/gpu';
import { tensor_map, tensor_math } from '@tessera/kernels';
import type { KernelFn } from '../opset.js';
import { numel } from '../shape.js';
import { fill, wgslType } from './codegen.js';
import type { Gpu } from './gpu.js';

type H = GPUBuffer;

const unsliceKernel = specialize((o: { type: 'f32' | 'i32' | 'u32'; rank: number; wg: number }) => {
  const dims = ['u32', o.rank] as const;
  const params = paramBlock({
    n: 'u32',
    out_shape: dims,
    starts: dims,
    steps: dims,
    in_shape: dims,
    in_strides: dims,
    in_offset: 'u32',
  });
  const lines: string[] = [];
  for (let d = o.rank - 1; d >= 0; d--) {
    lines.push(`{
    let c = r % params_out_shape(${d}u);
    r = r / params_out_shape(${d}u);
    let t = i32(c) - i32(params_starts(${d}u));
    let step = i32(params_steps(${d}u));
    let q = t / step;
    inside = inside && t >= 0 && t % step == 0 && q < i32(params_in_shape(${d}u));
    src = src + u32(max(q, 0)) * params_in_strides(${d}u);
  }`);
  }
  const code = fill(tensor_map, {
    BINDINGS: `@group(0) @binding(0) var<storage, read> in_x: array<${o.type}>;\n@group(0) @binding(1) var<storage, read_write> out: array<${o.type}>;`,
    PARAMS: params.wgsl(2),
    INDEX: '',
    MATH: tensor_math,
    WG: o.wg,
    BODY: `var r = i;
  var src = params.in_offset;
  var inside = true;
  ${lines.join('\n  ')}
  if (inside) { out[i] = in_x[src]; } else { out[i] = ${o.type}(0); }`,
  });
  return { code, params };
});

/**
 * The adjoint of slice in one pass: each output element finds, dim by dim, whether it sits at
 * `starts + k·steps` with k inside the input, and reads that element or writes 0 (rather than
 * filling zeros and then copying the input in: two dispatches).
 */
export const unsliceGpu =
  (g: Gpu): KernelFn<H, 'unslice'> =>
  (out, [x], { starts, steps }) => {
    const buffer = g.alloc(out);
    const n = numel(out.shape);
    if (n === 0) return buffer;
    g.dispatch({
      kernel: unsliceKernel({ type: wgslType(out.dtype), rank: out.shape.length, wg: g.wg }),
      label: 'tensor/unslice',
      buffers: [x.handle, buffer],
      params: {
        n,
        out_shape: out.shape,
        starts,
        steps,
        in_shape: x.shape,
        in_strides: x.strides,
        in_offset: x.offset,
      },
      workgroups: Math.ceil(n / g.wg),
    });
    return buffer;
  };
