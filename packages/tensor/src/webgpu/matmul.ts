import type { MatmulGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import type { Gpu } from './gpu.js';

export function matmulGpu(_g: Gpu) {
  return {} as { [K in MatmulGroup]: KernelFn<GPUBuffer, K> };
}
