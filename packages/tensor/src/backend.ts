import type { DType, TypedArray } from './dtype.js';
import type { ExtensionKernels } from './extension.js';
import type { Exp } from './ir/exp.js';
import type { KernelTable, OutSpec, View } from './opset.js';

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
  /** Runs an extension op's kernel for this backend (see `defineOp`), counting its buffer like a built-in kernel's. */
  extension<P>(kernels: ExtensionKernels<P>, out: OutSpec, inputs: View<H>[], params: P): H;
}

export type BackendName = 'cpu' | 'wasm' | 'webgpu';
