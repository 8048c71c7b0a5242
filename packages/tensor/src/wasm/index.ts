import type { Backend } from '../backend.js';
import { counted, cpuBackend } from '../cpu/index.js';
import type { TypedArray } from '../dtype.js';
import type { KernelFn, KernelOp, KernelTable } from '../opset.js';
import { wasmAttention } from './attention.js';
import { WasmMaps } from './jit/maps.js';
import { wasmKernelRuntime } from './kernel-runtime.js';
import { wasmMatmul } from './matmul.js';
import { instantiate, threadSupport } from './module.js';
import { wasmRows } from './rows.js';

/** The WebAssembly SIMD backend, with the memory its kernels work in (for memory reports and tests). */
export interface WasmBackend extends Backend<TypedArray> {
  /**
   * The kernels' memory: copies of large operands read on more than one call (up to the
   * `residentBytes` option), then scratch that operands are copied into per call.
   */
  readonly memory: WebAssembly.Memory;
  /** Bytes and buffers of the operand copies kept in {@link memory} now. */
  resident(): { bytes: number; buffers: number };
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
  /**
   * The most bytes of operand copies kept in WebAssembly memory between calls (a weight read by
   * every call is then copied in once, not per call), least recently used dropped first; 0 copies
   * every operand on every call. Default 1 GiB.
   */
  residentBytes?: number;
}

const DEFAULT_RESIDENT_BYTES = 2 ** 30;

/**
 * A WebAssembly SIMD backend: the CPU backend's storage (host TypedArrays, counted by the same
 * counters) and all its kernels, with the hot ones — matmul, softmax, log-softmax, layer and RMS
 * norm, attention — replaced by C compiled for wasm32 SIMD. Every op without a WebAssembly kernel
 * (elementwise expressions, indexing, the extension ops of other packages) runs the CPU backend's
 * JavaScript kernel, unless the op brings a WebAssembly kernel of its own (`ExtensionKernels.wasm`).
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  if (options.threads !== undefined && !(Number.isInteger(options.threads) && options.threads >= 1))
    throw new RangeError(`createWasmBackend: threads must be a positive integer, got ${options.threads}`);
  const residentBytes = options.residentBytes ?? DEFAULT_RESIDENT_BYTES;
  if (!(Number.isSafeInteger(residentBytes) && residentBytes >= 0))
    throw new RangeError(
      `createWasmBackend: residentBytes must be a non-negative integer, got ${options.residentBytes}`,
    );
  const support = await threadSupport();
  const threads = support.reason ? 1 : (options.threads ?? support.threads);
  const rt = await instantiate(threads, residentBytes, support.reason);
  const extensionRuntime = wasmKernelRuntime(rt);
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
    free: (h) => {
      // The buffer is gone: so is its copy (buffers never change, so nothing else invalidates one).
      rt.arena.resident.drop(h);
      cpuBackend.free(h);
    },
    extension: (k, out, inputs, params) =>
      counted(k.wasm ? k.wasm(extensionRuntime, out, inputs, params) : k.cpu(out, inputs, params)),
    memory: rt.arena.memory,
    resident: () => ({ bytes: rt.arena.resident.bytes, buffers: rt.arena.resident.count }),
    threads: rt.pool?.threads ?? 1,
    close: () => rt.pool?.close(),
  };
}
