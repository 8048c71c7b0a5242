// Declared parameter blocks in the WebGPU backend: strided views and fused input reads as named
// fields, and kernels selected by their options: param values never recompile, specializations do.
import { paramBlock, specialize } from '@tessera/gpu';
import { tensor_math } from '@tessera/kernels';
import { describe, expect, it } from 'vitest';
import * as T from '../src/index.js';
import { ex } from '../src/ir/exp.js';
import { stridedViews, type ViewsSpec, viewsCode } from '../src/webgpu/codegen.js';
import { Gpu } from '../src/webgpu/gpu.js';
import type { WebGPUBackend } from '../src/webgpu/index.js';
import { type InputSpec, inputBinding, inputCode, inputSpec } from '../src/webgpu/read.js';
import { gpuBackend } from './helpers.js';

const backend = (await gpuBackend()) as WebGPUBackend | undefined;

/** out[k] = load_a(k) over `n` elements, for any input spec and addressing. */
const loadKernel = specialize((o: { input: InputSpec; views: ViewsSpec; wg: number }) => {
  const read = inputCode(o.input);
  const views = viewsCode(o.views);
  const params = paramBlock({ n: 'u32', ...read.fields, ...views.fields });
  const nb = o.input.sources.length;
  const code = `${read.bindings.join('\n')}
@group(0) @binding(${nb}) var<storage, read_write> out: array<f32>;
${params.wgsl(nb + 1)}
${views.fns}
${tensor_math}
${read.fn}
@compute @workgroup_size(${o.wg})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < params.n) { out[id.x] = f32(load_a(id.x)); }
}`;
  return { code, params };
});

describe.skipIf(!backend)('declared parameter blocks on webgpu', () => {
  const b = backend!;
  const g = new Gpu(b.ctx);

  it('read a fused input with f32 and i32 params through strided views', async () => {
    // x [3, 4] read transposed (strides [1, 4]) from offset 1; y [4, 3] contiguous i32.
    const xData = Float32Array.from({ length: 13 }, (_, i) => i - 6.5);
    const yData = Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 5);
    const view = (
      data: Float32Array | Int32Array,
      dtype: 'f32' | 'i32',
      strides: number[],
      offset: number,
    ) => ({
      handle: b.upload(data, dtype),
      shape: [4, 3],
      strides,
      offset,
      dtype,
    });
    const x = view(xData, 'f32', [1, 4], 1);
    const y = view(yData, 'i32', [3, 1], 0);
    // a = x · p0 + f32(y + p1)
    const exp = ex.alu(
      'add',
      ex.alu('mul', ex.input(0, 'f32'), ex.param(0, 'f32')),
      ex.cast(ex.alu('add', ex.input(1, 'i32'), ex.param(1, 'i32')), 'f32'),
    );
    const fused = { shape: [4, 3], dtype: 'f32' as const, exp, sources: [x, y], params: [0.5, -3] };
    const bind = inputBinding(fused, 'a', (s) => [...s]);
    const views = stridedViews([4, 3], bind.windows, bind.names);
    expect(views.spec.views.map((v) => v.contiguous)).toEqual([false, true]);
    const out = b.ctx.createBuffer(4 * 12);
    g.dispatch({
      kernel: loadKernel({ input: inputSpec(fused, 'a'), views: views.spec, wg: 64 }),
      label: 'test/load',
      buffers: [...bind.buffers, out],
      params: { n: 12, ...bind.values, ...views.values },
      workgroups: 1,
    });
    const got = [...new Float32Array(await b.ctx.read(out, 4 * 12))];
    const want = Array.from({ length: 12 }, (_, k) => {
      const [r, c] = [Math.floor(k / 3), k % 3];
      return xData[1 + r + 4 * c] * 0.5 + (yData[k] - 3);
    });
    expect(got).toEqual(want);
    for (const buf of [x.handle, y.handle, out]) b.ctx.releaseBuffer(buf);
  });

  it('compile once per specialization: param values and shapes of one rank reuse the pipeline', async () => {
    const x = T.tensor([1, 2, 3, 4, 5, 6], { backend: b }).reshape([2, 3]);
    const run = async (f: () => T.Tensor) => {
      const before = b.ctx.compiledPipelines;
      const y = f();
      await y.toArray();
      y.dispose();
      return b.ctx.compiledPipelines - before;
    };
    // The first run of each kind compiles; the second, with other values, compiles nothing.
    await run(() => T.add(x, 1.5));
    expect(await run(() => T.add(x, -2.25))).toBe(0);
    await run(() => T.add(x.transpose(0, 1), 1));
    expect(await run(() => T.add(x.transpose(0, 1), 7))).toBe(0);
    // Another dtype is another program.
    expect(await run(() => T.add(T.cast(x, 'i32'), 1))).toBeGreaterThan(0);
    expect(await run(() => T.add(T.cast(x, 'i32'), 5))).toBe(0);
    x.dispose();
  });
});
