import type { Backend } from '../backend.js';
import { allocArray, type DType, type TypedArray } from '../dtype.js';
import type { KernelTable } from '../opset.js';
import { attentionCpu } from './attention.js';
import { creationCpu, elementwiseCpu } from './elementwise.js';
import { indexingCpu } from './indexing.js';
import { matmulCpu } from './matmul.js';
import { movementCpu } from './movement.js';
import { reduceCpu } from './reduce.js';

let live = 0;

const kernels: KernelTable<TypedArray> = {
  ...creationCpu,
  ...elementwiseCpu,
  ...movementCpu,
  ...reduceCpu,
  ...matmulCpu,
  ...indexingCpu,
  ...attentionCpu,
};

// Every kernel returns a fresh array; count them so leak tests see CPU buffers like GPU ones.
const counted = Object.fromEntries(
  Object.entries(kernels).map(([op, fn]) => [
    op,
    (...args: Parameters<typeof fn>) => {
      const r = (fn as (...a: unknown[]) => TypedArray)(...args);
      live++;
      return r;
    },
  ]),
) as unknown as KernelTable<TypedArray>;

/** The CPU reference backend: TypedArrays and plain loops. Always available; every WebGPU kernel is tested against it. */
export const cpuBackend: Backend<TypedArray> = {
  name: 'cpu',
  description: 'CPU (TypedArrays)',
  upload(data: TypedArray, dtype: DType) {
    live++;
    const out = allocArray(dtype, data.length);
    out.set(data);
    return out;
  },
  read: async (h, _dtype, size, offset) => h.slice(offset, offset + size),
  free: () => {
    live--;
  },
  liveBuffers: () => live,
  sync: async () => {},
  kernels: counted,
};
