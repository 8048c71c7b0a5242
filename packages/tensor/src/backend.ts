import type { DType, TypedArray } from './dtype.js';
import type { ExtensionKernels } from './extension.js';
import type { Exp } from './ir/exp.js';
import type { KernelParams, KernelTable, OutSpec, View } from './opset.js';

/**
 * The contract every backend fulfils, in the spirit of jax-js: move bytes in and out, free them,
 * and one kernel per op. Buffers are opaque handles (`H`) owned by exactly one {@link Storage}.
 */
// biome-ignore lint/suspicious/noExplicitAny: a backend-agnostic Backend holds handles of any type
export interface Backend<H = any> {
  /** `cpu`, `wasm` or `webgpu`. */
  readonly name: BackendName;
  /** Human-readable device, e.g. the WebGPU adapter. */
  readonly description: string;
  /** A new buffer holding a copy of `data` (of `dtype`). */
  upload(data: TypedArray, dtype: DType): H;
  /** Reads `size` elements starting at element `offset`, after all queued work. */
  read(handle: H, dtype: DType, size: number, offset: number): Promise<TypedArray>;
  /** Frees a buffer; queued work that reads it still sees its contents. */
  free(handle: H): void;
  /** Buffers allocated and not freed. */
  liveBuffers(): number;
  /** Bytes those buffers hold, and the most they held since the last {@link resetPeakBytes}. */
  memoryBytes(): { live: number; peak: number };
  /** Starts a new peak-bytes measurement from the bytes live now. */
  resetPeakBytes(): void;
  /** Waits for queued work and surfaces asynchronous errors. */
  sync(): Promise<void>;
  /**
   * Runs an elementwise kernel: for each of `exps`, a new contiguous buffer of `shape` (and the
   * expression's dtype) whose element at each row-major position is the expression, with input
   * slot j read from `inputs[j]` (a strided view over `shape`, broadcast by zero strides) and param
   * slot k from `params[k]` (already a value of its dtype). One pass computes them all.
   */
  map(exps: readonly Exp[], shape: readonly number[], inputs: View<H>[], params: number[]): H[];
  /** The most inputs one {@link map} kernel may read (fusion stays within it). */
  readonly maxMapInputs: number;
  /** The kernels of the ops that are not expressions (reductions, matmul, indexing, …). */
  readonly kernels: KernelTable<H>;
  /**
   * Optional: runs matmul (`op`, with the kernel's `out`, `inputs` and `params`) and applies an
   * elementwise epilogue where the kernel stores each element, instead of storing the product and
   * running a {@link map} over it. Returns the epilogue's outputs (and the product itself when
   * `epilogue.keep`), or undefined when this call cannot fuse (then the product is computed and
   * mapped as usual). Backends without it compute matmul at once.
   */
  epilogue?(
    op: EpilogueOp,
    out: OutSpec,
    inputs: View<H>[],
    params: KernelParams[EpilogueOp],
    epilogue: Epilogue<H>,
  ): { outputs: H[]; product?: H } | undefined;
  /** Runs an extension op's kernel for this backend (see `defineOp`), counting its buffer like a built-in kernel's. */
  extension<P>(kernels: ExtensionKernels<P>, out: OutSpec, inputs: View<H>[], params: P): H;
}

export type BackendName = 'cpu' | 'wasm' | 'webgpu';

/** Kernel ops whose output an elementwise epilogue may be fused into. */
export type EpilogueOp = 'matmul';

/**
 * Elementwise expressions applied to a kernel's output where it is stored: as {@link Backend.map}'s
 * arguments, over `shape` (the kernel's output elements in row-major order, maybe reshaped), with
 * input slot `slot` reading the element the kernel computed and every other slot j from
 * `inputs[j]`.
 */
export interface Epilogue<H = unknown> {
  exps: readonly Exp[];
  shape: readonly number[];
  slot: number;
  /** A view per input slot; `undefined` at `slot`. */
  inputs: readonly (View<H> | undefined)[];
  params: readonly number[];
  /** Whether the kernel's own output is read elsewhere too, so must be stored as well. */
  keep: boolean;
}
