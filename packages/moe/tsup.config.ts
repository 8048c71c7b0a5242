import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// '#local-file' stays an import in dist/index.js: package.json's "imports" picks its Node or browser
// build (dist/local-file/*.js) where the package is used, so browser bundles never reach node:fs.
const base = libraryBuild(['@tessera/nn', '@tessera/tensor', '@tessera/kernels', '#local-file']);
export default defineConfig({
  ...base,
  entry: {
    index: 'src/index.ts',
    'local-file/node': 'src/local-file/node.ts',
    'local-file/browser': 'src/local-file/browser.ts',
  },
});
