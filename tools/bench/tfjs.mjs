// TensorFlow.js, the named peer: its cpu, wasm and webgpu backends, the last on the same Dawn
// adapter as Tessera (navigator.gpu is pointed at Tessera's Dawn instance in Node).
// The union package: its Node bundle registers every op's gradient (tfjs-core alone does not).

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/**
 * Makes tfjs-webgpu find the adapter Tessera uses: it calls navigator.gpu.requestAdapter(), so
 * wrap the adapter Tessera found (same Dawn instance, same backend and feature level).
 * @param {GPUAdapter} adapter
 */
export async function shareAdapter(adapter) {
  const gpu = {
    requestAdapter: async () => adapter,
    getPreferredCanvasFormat: () => 'rgba8unorm',
    wgslLanguageFeatures: new Set(),
  };
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  // The backend registers itself at import only when navigator.gpu exists.
  await import('@tensorflow/tfjs-backend-webgpu');
}

/**
 * Switches tfjs to `name` ('cpu' | 'wasm' | 'webgpu'); returns false (with the reason) if it cannot start.
 * @param {'cpu' | 'wasm' | 'webgpu'} name
 */
export async function useTfjs(name) {
  if (name === 'wasm') setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok ? true : `tf.setBackend('${name}') returned false`;
  } catch (e) {
    return String(e?.message ?? e);
  }
}

export { tf };
