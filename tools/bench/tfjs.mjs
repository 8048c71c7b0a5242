// TensorFlow.js, a named peer: its cpu, wasm and webgpu backends, the last on the same Dawn
// adapter as Tessera (navigator.gpu is pointed at a fresh handle on it in Node).
// The union package: its Node bundle registers every op's gradient (tfjs-core alone does not).

import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { defineNavigator, gpuFor } from './navigator.mjs';

const require = createRequire(import.meta.url);

/**
 * Makes tfjs-webgpu find `adapter` (a fresh handle from Tessera's `findAdapter()`, so the same Dawn
 * backend and feature level): it calls navigator.gpu.requestAdapter().
 * @param {GPUAdapter} adapter
 */
export async function shareAdapter(adapter) {
  defineNavigator(gpuFor(adapter));
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
