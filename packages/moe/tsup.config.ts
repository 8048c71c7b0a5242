import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig(libraryBuild(['@tessera/nn', '@tessera/tensor', '@tessera/kernels']));
