import { GpuContext, type GpuContextOptions } from '@tessera/gpu';
import type { Backend } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { attentionGpu } from './attention.js';
import { Gpu, toWords } from './gpu.js';
import { indexingGpu } from './indexing.js';
import { map } from './map.js';
import { matmulGpu } from './matmul.js';
import { movementGpu } from './movement.js';
import { reduceGpu } from './reduce.js';
import { topkGpu } from './topk.js';

/** The WebGPU backend, with its {@link GpuContext} for stats (live buffers, pipelines, submits). */
export interface WebGPUBackend extends Backend<GPUBuffer> {
  readonly ctx: GpuContext;
}

/** Opens a WebGPU device and returns the backend on it. */
export async function createWebGPUBackend(options: GpuContextOptions = {}): Promise<WebGPUBackend> {
  const ctx = await GpuContext.create(options);
  const g = new Gpu(ctx);
  const mm = matmulGpu(g);
  return {
    name: 'webgpu',
    description: ctx.adapterDescription,
    ctx,
    upload(data: TypedArray, dtype: DType) {
      const buf = ctx.createBuffer(Math.max(4, data.length * 4));
      if (data.length) ctx.write(buf, toWords(data, dtype));
      return buf;
    },
    async read(buf, dtype, size, offset) {
      await g.checkFault();
      const bytes = await ctx.read(buf, size * 4, offset * 4);
      if (dtype === 'u8') return Uint8Array.from(new Uint32Array(bytes));
      const out = allocArray(dtype, size);
      out.set(new (out.constructor as Float32ArrayConstructor)(bytes));
      return out;
    },
    free: (buf) => ctx.releaseBuffer(buf),
    liveBuffers: () => ctx.liveBuffers,
    memoryBytes: () => ({ live: ctx.liveBytes, peak: ctx.peakBytes }),
    resetPeakBytes: () => ctx.resetPeakBytes(),
    sync: async () => {
      await ctx.sync();
      await g.checkFault();
    },
    map: (exps, shape, inputs, params) => map(g, exps, shape, inputs, params),
    // One storage binding is the output.
    maxMapInputs: ctx.limits.maxStorageBuffersPerShaderStage - 1,
    kernels: {
      ...movementGpu(g),
      ...reduceGpu(g),
      ...mm.kernels,
      ...indexingGpu(g),
      ...topkGpu(g),
      ...attentionGpu(g),
    },
    epilogue: mm.epilogue,
    extension: (k, out, inputs, params) => k.webgpu(g, out, inputs, params),
  };
}
