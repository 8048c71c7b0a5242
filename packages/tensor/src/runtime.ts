import type { GpuContextOptions } from '@tessera/gpu';
import type { Backend, BackendName } from './backend.js';
import { cpuBackend } from './cpu/index.js';
import { BackendError } from './errors.js';
import type { WebGPUBackend } from './webgpu/index.js';

/** Options of {@link init}. */
export interface InitOptions {
  /** `auto` (default) tries WebGPU and falls back to CPU, saying why once. */
  backend?: BackendName | 'auto';
  /** Where the one fallback notice goes. Default `console.warn`. */
  onFallback?: (reason: string) => void;
}

let current: Backend = cpuBackend;
let webgpu: Promise<Backend> | undefined;

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
 * found; `auto` falls back to `cpu` and reports the reason once.
 */
export async function init(options: InitOptions = {}): Promise<Backend> {
  const want = options.backend ?? 'auto';
  if (want === 'cpu') {
    current = cpuBackend;
    return current;
  }
  try {
    current = await webgpuBackend();
  } catch (e) {
    if (want === 'webgpu') throw e;
    (options.onFallback ?? console.warn)(
      `tessera: WebGPU unavailable, using the CPU backend (${(e as Error).message})`,
    );
    current = cpuBackend;
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
