// The `navigator` that browser libraries read, for Node: Node 20 has none, and no runtime outside a
// browser has `navigator.gpu`. The peers (tfjs, jax-js) find their WebGPU adapter through it.
import { availableParallelism } from 'node:os';

/**
 * A `navigator.gpu` whose `requestAdapter()` hands out `adapter`: a fresh handle from Tessera's
 * `findAdapter()` (same Dawn backend and feature level — `compatibility` on OpenGL ES / llvmpipe).
 * @param {GPUAdapter} adapter
 */
export function gpuFor(adapter) {
  return {
    requestAdapter: async () => adapter,
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set(),
  };
}

/**
 * Defines `globalThis.navigator` with a user agent, the core count and `gpu` (kept from the current
 * navigator when not given).
 * @param {object} [gpu]
 */
export function defineNavigator(gpu) {
  const current = globalThis.navigator;
  const value = {
    userAgent: current?.userAgent ?? `Node.js/${process.versions.node}`,
    hardwareConcurrency: current?.hardwareConcurrency ?? availableParallelism(),
    gpu: gpu ?? current?.gpu,
  };
  Object.defineProperty(globalThis, 'navigator', { value, configurable: true, writable: true });
}
