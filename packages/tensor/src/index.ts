import './rules/index.js';

// The parameter blocks and specialization memo of @tessera/gpu, for extension kernels (defineOp).
export {
  type KernelSource,
  type ParamBlock,
  type ParamSchema,
  type ParamValues,
  paramBlock,
  specialize,
} from '@tessera/gpu';
export { apply } from './apply.js';
export { backward, grad, isGradEnabled, noGrad, valueAndGrad } from './autograd.js';
export type { Backend, BackendName, Epilogue, EpilogueOp } from './backend.js';
export { cpuBackend } from './cpu/index.js';
export { customGrad } from './custom-grad.js';
export { DTYPES, type DType, type TypedArray } from './dtype.js';
export { BackendError, DisposedError, DTypeError, IndexError, ShapeError, TensorError } from './errors.js';
export { defineOp, type ExtensionKernels, type ExtensionOp } from './extension.js';
export { setFusion } from './fusion/fuse.js';
export { realize } from './fusion/realize.js';
export { keep, type MemoryInfo, memory, tidy } from './memory.js';
export * from './ops/index.js';
export {
  BINARY_OPS,
  type BinaryOp,
  COMPARE_OPS,
  type CompareOp,
  type KernelOp,
  type KernelParams,
  LOGICAL_OPS,
  type LogicalOp,
  type MapOp,
  type MapParams,
  type OpName,
  type OutSpec,
  PREDICATE_OPS,
  type PredicateOp,
  UNARY_OPS,
  type UnaryOp,
  type View,
  type ViewOp,
} from './opset.js';
export { RULES } from './rules/index.js';
export type { RuleTable } from './rules/types.js';
export {
  createWasmBackend,
  createWebGPUBackend,
  getBackend,
  type InitOptions,
  init,
  setBackend,
  wasmBackend,
  webgpuBackend,
} from './runtime.js';
export { type KernelCall, type Recipe, type Source, Storage } from './storage.js';
export { type GradCtxOf, type NestedArray, Tensor } from './tensor.js';
export type { Placed as WasmOperand } from './wasm/arena.js';
export type { Codebook4Weight, Codebook8Values } from './wasm/codebook.js';
export type { WasmBackend, WasmBackendOptions } from './wasm/index.js';
export type { WasmKernelRuntime } from './wasm/kernel-runtime.js';
export { f32Bits, fill, wgslType } from './webgpu/codegen.js';
export { chunks, type Dispatch, Gpu } from './webgpu/gpu.js';
export type { WebGPUBackend } from './webgpu/index.js';
import './methods.js';
