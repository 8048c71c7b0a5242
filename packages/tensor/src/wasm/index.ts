import type { Backend } from '../backend.js';
import { counted, cpuBackend } from '../cpu/index.js';
import type { TypedArray } from '../dtype.js';
import type { KernelFn, KernelOp, KernelTable } from '../opset.js';
import { wasmAttention } from './attention.js';
import { WasmMaps } from './jit/maps.js';
import { wasmMatmul } from './matmul.js';
import { instantiate, threadSupport } from './module.js';
import { wasmRows } from './rows.js';

/** The WebAssembly SIMD backend, with the memory its kernels work in (for memory reports and tests). */
export interface WasmBackend extends Backend<TypedArray> {
  /** The kernels' scratch memory: operands are copied in per call, so its size is that of the largest call yet. */
  readonly memory: WebAssembly.Memory;
  /** Threads its kernels run on (1: the calling thread only). */
  readonly threads: number;
  /** Stops its worker threads; the backend must not be used after. */
  close(): void;
}

/** Options of {@link createWasmBackend}. */
export interface WasmBackendOptions {
  /**
   * Threads to run kernels on, the calling one included. Default: one per core where the host
   * allows workers over shared memory (Node; a cross-origin-isolated browser worker), else 1.
   */
  threads?: number;
}

/**
 * A WebAssembly SIMD backend: the CPU backend's storage (host TypedArrays, counted by the same
 * counters) and all its kernels, with the hot ones — matmul, softmax, log-softmax, layer and RMS
 * norm, attention — replaced by C compiled for wasm32 SIMD. Every op without a WebAssembly kernel
 * (elementwise expressions, indexing, the extension ops of other packages) runs the CPU backend's
 * JavaScript kernel.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1))
    throw new RangeError(`createWasmBackend: threads must be a positive integer, got ${options.threads}`);
  const support = await threadSupport();
  const threads = support.reason ? 1 : (options.threads ?? support.threads);
  const rt = await instantiate(threads, support.reason);
  const overrides: Partial<KernelTable<TypedArray>> = {
    matmul: wasmMatmul(rt) as KernelFn<TypedArray, 'matmul'>,
    ...(wasmRows(rt) as Partial<KernelTable<TypedArray>>),
    attention: wasmAttention(rt).attention as KernelFn<TypedArray, 'attention'>,
  };
  const kernels = { ...cpuBackend.kernels };
  for (const [op, fn] of Object.entries(overrides) as [KernelOp, KernelFn<TypedArray, KernelOp>][]) {
    (kernels as Record<KernelOp, unknown>)[op] = (...args: Parameters<typeof fn>) => counted(fn(...args));
  }
  const maps = new WasmMaps(rt);
  return {
    ...cpuBackend,
    name: 'wasm',
    map: (exps, shape, inputs, params) => maps.map(exps, shape, inputs, params).map(counted),
    description: rt.description,
    kernels,
    memory: rt.arena.memory,
    threads: rt.pool?.threads ?? 1,
    close: () => rt.pool?.close(),
  };
}
