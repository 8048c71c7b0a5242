import type { IndexingGroup } from '../opgroups.js';
import type { KernelFn } from '../opset.js';
import type { Gpu } from './gpu.js';

export function indexingGpu(_g: Gpu) {
  return {} as { [K in IndexingGroup]: KernelFn<GPUBuffer, K> };
}
