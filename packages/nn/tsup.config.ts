import { resolve } from 'node:path';
import { defineConfig, type Options } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// Two builds of the same API: dist/index.js for Node (the "node" export condition) and
// dist/browser.js for everything else, where src/io/files.ts (Node's fs) is swapped for
// src/io/files.browser.ts, so that bundlers never meet a Node builtin.
const nodeFiles = resolve('src/io/files.js');
const browserFiles = resolve('src/io/files.browser.ts');
const node: Options = { ...libraryBuild(['@tessera/tensor']), clean: ['index.*'] };
const browser: Options = {
  ...libraryBuild(['@tessera/tensor']),
  entry: { browser: 'src/index.ts' },
  platform: 'browser',
  dts: false,
  clean: ['browser.*'],
  esbuildPlugins: [
    {
      name: 'browser-files',
      setup(build) {
        build.onResolve({ filter: /files\.js$/ }, (args) =>
          resolve(args.resolveDir, args.path) === nodeFiles ? { path: browserFiles } : undefined,
        );
      },
    },
  ],
};

export default defineConfig([node, browser]);
