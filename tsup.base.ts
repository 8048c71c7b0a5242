import type { Options } from 'tsup';

/**
 * .d.ts lines that pull in WebGPU's global types (`GPUBuffer`, `GPUDevice`, …) from `@webgpu/types`,
 * with the DOM lib they are written against (its `EventTarget`, `BufferSource`, canvas types).
 */
export const webgpuTypes = ['/// <reference lib="dom" />', '/// <reference types="@webgpu/types" />'];
/** A .d.ts line that pulls in TypeScript's `Symbol.dispose` declarations, for classes usable with `using`. */
export const disposableLib = ['/// <reference lib="esnext.disposable" />'];

/**
 * The build every library package shares: ESM + .d.ts from src/index.ts, dependencies left external.
 * `dtsReferences` head the emitted .d.ts: the global types it names must come with it, or a
 * consumer's type check (`skipLibCheck: false`) fails on names its own configuration does not declare.
 */
export const libraryBuild = (external: string[], dtsReferences: string[][] = []): Options => ({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: dtsReferences.length > 0 ? { banner: dtsReferences.flat().join('\n') } : true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external,
});
