import { defineConfig } from 'tsup';
import { libraryBuild } from '../../tsup.base';

export default defineConfig(libraryBuild(['webgpu', '@tessera/gpu', '@tessera/kernels']));
