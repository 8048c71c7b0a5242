import type { ReduceGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import type { Gpu } from './gpu.js';

export function reduceGpu(_g: Gpu) {
  return {} as { [K in ReduceGroup]: KernelFn<GPUBuffer, K> };
}
