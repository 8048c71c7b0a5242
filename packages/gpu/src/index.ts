export { type AdapterOptions, describeAdapter, type FoundAdapter, findAdapter } from './adapter.js';
export { GpuContext, type GpuContextOptions, type Kernel } from './context.js';
export { GpuDeviceLostError, GpuError, GpuKernelError, GpuUnavailableError } from './errors.js';
export { measureLoopBudget } from './loop-budget.js';
export { BufferPool, sizeClass } from './pool.js';
