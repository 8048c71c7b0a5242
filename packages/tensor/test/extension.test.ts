// Extension ops (defineOp): a kernel written outside the package joins autograd, tidy and the memory counters.
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { backends } from './helpers.js';

const list = await backends();

/** The kernel of {@link scaleShift}: its parameters declared once, read by name in the WGSL. */
const scaleShiftKernel = T.specialize(({ wg }: { wg: number }) => {
  const params = T.paramBlock({
    n: 'u32',
    cols: 'u32',
    x_offset: 'u32',
    x_strides: ['u32', 2],
    b_offset: 'u32',
    scale: 'f32',
  });
  const code = T.fill(
    `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
{{PARAMS}}
@compute @workgroup_size({{WG}}) fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let i = (wid.x + wid.y * nwg.x) * {{WG}}u + lid;
  if (i >= params.n) { return; }
  let r = i / params.cols;
  let c = i % params.cols;
  y[i] = params.scale * x[params.x_offset + r * params_x_strides(0u) + c * params_x_strides(1u)] + b[params.b_offset + c];
}`,
    { PARAMS: params.wgsl(3), WG: wg },
  );
  return { code, params };
});

/** y = scale · x + b: contiguous-or-strided x read through its view, b broadcast over the last axis. */
const scaleShift = T.defineOp<{ scale: number }>({
  name: 'test/scale_shift',
  infer([x, b]) {
    if (b.rank !== 1 || b.shape[0] !== x.shape[x.rank - 1])
      throw new T.ShapeError(`scale_shift: b must be [${x.shape[x.rank - 1]}], got [${b.shape.join(', ')}]`);
    return { shape: x.shape, dtype: 'f32' };
  },
  grad: (g, { params, needs }) => [
    needs[0] ? T.mul(g, params.scale) : null,
    needs[1] ? T.sum(g, [...Array(g.rank - 1).keys()]) : null,
  ],
  kernels: {
    cpu(out, [x, b], { scale }) {
      const n = out.shape.reduce((p, q) => p * q, 1);
      const cols = out.shape[out.shape.length - 1];
      const y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        // 2-D addressing is enough for this test's inputs.
        const [r, c] = [Math.floor(i / cols), i % cols];
        y[i] = scale * x.handle[x.offset + r * x.strides[0] + c * x.strides[1]] + b.handle[b.offset + c];
      }
      return y;
    },
    webgpu(gpu, out, [x, b], { scale }) {
      const n = out.shape.reduce((p, q) => p * q, 1);
      const y = gpu.alloc(out);
      gpu.dispatch({
        kernel: scaleShiftKernel({ wg: gpu.wg }),
        label: 'test/scale_shift',
        buffers: [x.handle, b.handle, y],
        params: {
          n,
          cols: out.shape[1],
          x_offset: x.offset,
          x_strides: x.strides,
          b_offset: b.offset,
          scale,
        },
        workgroups: Math.ceil(n / gpu.wg),
      });
      return y;
    },
  },
});

describe.each(list)('extension ops on %s', (_name, backend) => {
  it('compute through strided views and differentiate', async () => {
    const x = T.tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { backend },
    ).requireGrad();
    const b = T.tensor([10, 20], { backend }).requireGrad();
    const y = scaleShift([x.transpose(0, 1), b], { scale: 2 }); // x read through its strides
    expect(await y.toArray()).toEqual([
      [12, 28],
      [14, 30],
      [16, 32],
    ]);
    T.sum(T.mul(y, T.tensor([1, 3], { backend }))).backward();
    expect(await x.grad!.toArray()).toEqual([
      [2, 2, 2],
      [6, 6, 6],
    ]);
    expect(await b.grad!.toArray()).toEqual([3, 9]);
    for (const t of [x, b, y]) t.dispose();
  });

  it('validate before allocating and count buffers like built-in kernels', async () => {
    // Realized, so that they hold buffers before counting (a pending ones holds none).
    const x = T.ones([4, 3], { backend }).realize();
    const bad = T.ones([2], { backend }).realize();
    const before = T.memory(backend);
    expect(() => scaleShift([x, bad], { scale: 1 })).toThrow(/b must be \[3\], got \[2\]/);
    expect(T.memory(backend)).toEqual(before);
    bad.dispose();
    T.tidy(() => {
      scaleShift([x, T.ones([3], { backend })], { scale: 1 });
    });
    const after = T.memory(backend);
    expect(after.liveBuffers).toBe(before.liveBuffers - 1);
    expect(after.peakBytes).toBeGreaterThanOrEqual(before.liveBytes + 12 * 4);
    backend.resetPeakBytes();
    expect(T.memory(backend).peakBytes).toBe(after.liveBytes);
    x.dispose();
  });
});
