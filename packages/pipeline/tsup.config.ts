import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

// Two entries: the main one runs anywhere; './node' (files and streams) only in Node.
export default defineConfig({
  ...libraryBuild(['@tessera/nn', '@tessera/tensor', 'csv-parse']),
  entry: { index: 'src/index.ts', 'node/index': 'src/node/index.ts' },
});
