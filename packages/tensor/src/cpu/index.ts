import type { Backend } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../dtype.js';
import { runMap } from '../ir/js.js';
import type { KernelTable } from '../opset.js';
import { numel } from '../shape.js';
import { recycleArray } from './array-pool.js';
import { attentionCpu } from './attention.js';
import { indexingCpu } from './indexing.js';
import { matmulCpu } from './matmul.js';
import { movementCpu } from './movement.js';
import { reduceCpu } from './reduce.js';
import { topkCpu } from './topk.js';

let live = 0;
let liveBytes = 0;
let peakBytes = 0;

/**
 * Counts a new buffer, so leak tests and peak-memory reports see CPU buffers like GPU ones (the
 * WebAssembly backend, which shares this storage, counts its kernels' outputs here too).
 */
export function counted<A extends TypedArray>(a: A): A {
  live++;
  liveBytes += a.byteLength;
  if (liveBytes > peakBytes) peakBytes = liveBytes;
  return a;
}

const kernels: KernelTable<TypedArray> = {
  ...movementCpu,
  ...reduceCpu,
  ...matmulCpu,
  ...indexingCpu,
  ...topkCpu,
  ...attentionCpu,
};

// Every kernel returns a fresh array.
const countedKernels = Object.fromEntries(
  Object.entries(kernels).map(([op, fn]) => [
    op,
    (...args: Parameters<typeof fn>) => counted((fn as (...a: unknown[]) => TypedArray)(...args)),
  ]),
) as unknown as KernelTable<TypedArray>;

/** The CPU reference backend: TypedArrays and plain loops. Always available; every WebGPU kernel is tested against it. */
export const cpuBackend: Backend<TypedArray> = {
  name: 'cpu',
  description: 'CPU (TypedArrays)',
  upload(data: TypedArray, dtype: DType) {
    const out = counted(allocArray(dtype, data.length));
    out.set(data);
    return out;
  },
  read: async (h, _dtype, size, offset) => h.slice(offset, offset + size),
  free: (h) => {
    live--;
    liveBytes -= h.byteLength;
    recycleArray(h);
  },
  liveBuffers: () => live,
  memoryBytes: () => ({ live: liveBytes, peak: peakBytes }),
  resetPeakBytes: () => {
    peakBytes = liveBytes;
  },
  sync: async () => {},
  map: (exps, shape, inputs, params) => {
    const outs = exps.map((e) => counted(allocArray(e.dtype, numel(shape))));
    runMap(exps, outs, shape, inputs, params);
    return outs;
  },
  // Compiled loops take their inputs as arguments; past a few dozen, fusing more gains nothing.
  maxMapInputs: 32,
  kernels: countedKernels,
  extension: (k, out, inputs, params) => counted(k.cpu(out, inputs, params)),
};
