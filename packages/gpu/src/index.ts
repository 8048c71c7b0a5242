export { type AdapterOptions, describeAdapter, type FoundAdapter, findAdapter } from './adapter.js';
export { GpuContext, type GpuContextOptions, type Kernel } from './context.js';
export { GpuDeviceLostError, GpuError, GpuKernelError, GpuUnavailableError } from './errors.js';
export { measureLoopBudget } from './loop-budget.js';
export {
  ParamBlock,
  type ParamField,
  type ParamFieldLayout,
  type ParamScalar,
  type ParamSchema,
  type ParamValue,
  type ParamValues,
  paramBlock,
} from './params.js';
export { BufferPool, sizeClass } from './pool.js';
export { CANONICAL, type Canonical, canonicalKey, type KernelSource, specialize } from './specialize.js';
