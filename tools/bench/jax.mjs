// jax-js, the closest peer (an expression IR, fusion through `jit`, WebAssembly and WGSL kernels
// generated at run time): its `wasm` device, and its `webgpu` device on a fresh handle to the Dawn
// adapter Tessera uses. jax-js arrays are lazy and reference counted: work runs when a result is read,
// `await y.data()` reads it back and releases `y`, and every array passed to a jax-js function is
// consumed — inputs kept across runs are passed as `x.ref` and disposed when done.
// First: jax-js chooses shared WebAssembly memory (and so worker threads) when it is imported.
import './web-worker.mjs';
import * as jax from '@jax-js/jax';
import { defineNavigator, gpuFor } from './navigator.mjs';

/**
 * Starts jax-js's `device` and makes it the default; returns true, or why it cannot start.
 * jax-js reads `navigator.userAgent` (and `navigator.gpu` for webgpu) before and during `init()`,
 * and its wasm device spreads kernels over `navigator.hardwareConcurrency` Web Workers when
 * `Worker` exists (given here over `worker_threads`), as in a cross-origin-isolated page.
 * @param {'wasm' | 'webgpu'} device
 * @param {GPUAdapter} [adapter] the adapter for `webgpu`
 */
export async function useJax(device, adapter) {
  defineNavigator(device === 'webgpu' ? gpuFor(adapter) : undefined);
  try {
    const ready = await jax.init(device);
    if (!ready.includes(device)) return `jax.init('${device}') started only ${ready.join(', ')}`;
    jax.defaultDevice(device);
    return true;
  } catch (e) {
    return String(e?.message ?? e);
  }
}

/** How jax-js runs on `device` here (its wasm device uses worker threads only where Web Workers exist). */
export function describeJax(device) {
  if (device !== 'wasm') return `jax-js ${device}`;
  const threads = typeof Worker !== 'undefined' && typeof SharedArrayBuffer !== 'undefined';
  return `jax-js wasm, ${threads ? `${navigator.hardwareConcurrency} worker threads` : 'single-threaded (no Web Worker)'}`;
}

export { jax };
