import type { GpuContextOptions } from '@tessera/gpu';
import type { Backend, BackendName } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { BackendError } from './errors.js';
import type { WasmBackend, WasmBackendOptions } from './wasm/index.js';
import type { WebGPUBackend } from './webgpu/index.js';

/** Options of {@link init}. */
export interface InitOptions {
  /**
   * `auto` (default) tries WebGPU, then WebAssembly SIMD, then the plain-JavaScript CPU backend,
   * saying once why it fell back.
   */
  backend?: BackendName | 'auto';
  /** Where the one fallback notice goes. Default `console.warn`. */
  onFallback?: (reason: string) => void;
}

let current: Backend = cpuBackend;
let webgpu: Promise<Backend> | undefined;
let wasm: Promise<Backend> | undefined;

/** The WebGPU backend, created on first call (one device per process). */
export function webgpuBackend(): Promise<Backend> {
  if (!webgpu) {
    const created: Promise<Backend> = import('./webgpu/index.js').then((m) => m.createWebGPUBackend());
    // A failed start is not cached: the next call tries again.
    created.catch(() => {
      webgpu = undefined;
    });
    webgpu = created;
  }
  return webgpu;
}

/**
 * The WebAssembly SIMD backend, created on first call (one per process, on as many threads as the
 * host allows): the CPU backend's storage and kernels with the hot ones (matmul) compiled from C
 * for wasm32 SIMD. Rejects where the engine lacks WebAssembly SIMD.
 */
export function wasmBackend(): Promise<Backend> {
  if (!wasm) {
    const created: Promise<Backend> = createWasmBackend();
    created.catch(() => {
      wasm = undefined;
    });
    wasm = created;
  }
  return wasm;
}

/**
 * A new WebAssembly SIMD backend with its own memory and workers (for example single-threaded:
 * `{ threads: 1 }`). Unlike {@link wasmBackend} it is not shared: stop its workers with
 * `backend.close()` when done.
 */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const m = await import('./wasm/index.js');
  return m.createWasmBackend(options);
}

/**
 * A new WebGPU backend on a device of its own, opened with `options` (for example a `loopBudget`
 * cap, which makes kernels split their work as they do on adapters with a loop limiter). Unlike
 * {@link webgpuBackend} it is not shared: destroy it with `backend.ctx.destroy()` when done.
 */
export async function createWebGPUBackend(options: GpuContextOptions = {}): Promise<WebGPUBackend> {
  const m = await import('./webgpu/index.js');
  return m.createWebGPUBackend(options);
}

/**
 * Chooses the default backend for new tensors and returns it. `webgpu` throws when no adapter is
 * found and `wasm` when the engine lacks WebAssembly SIMD; `auto` falls back from WebGPU to
 * WebAssembly to the JavaScript CPU backend and reports the reason once.
 */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const want = options.backend ?? 'auto';
  if (want === 'cpu') {
    current = cpuBackend;
    return current;
  }
  if (want === 'wasm') {
    current = await wasmBackend();
    return current;
  }
  const notify = options.onFallback ?? console.warn;
  try {
    current = await webgpuBackend();
    return current;
  } catch (e) {
    if (want === 'webgpu') throw e;
    const why = `WebGPU unavailable (${(e as Error).message})`;
    try {
      current = await wasmBackend();
      notify(`tessera: ${why}, using the WebAssembly SIMD backend (${current.description})`);
    } catch (w) {
      notify(
        `tessera: ${why} and WebAssembly SIMD unavailable (${(w as Error).message}), using the CPU backend`,
      );
      current = cpuBackend;
    }
  }
  return current;
}

/** The default backend (CPU until {@link init} picks another). */
export const getBackend = (): Backend => current;

/** Makes `backend` the default for new tensors. */
export function setBackend(backend: Backend): void {
  if (!backend?.kernels) throw new BackendError(`setBackend: expected a Backend, got ${String(backend)}`);
  current = backend;
}
