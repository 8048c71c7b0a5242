import type { Options } from 'tsup';

/** The build every library package shares: ESM + .d.ts from src/index.ts, dependencies left external. */
export const libraryBuild = (external: string[]): Options => ({
  entry: ['src/index.ts'],
  format: ['esm'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  external,
});
