import { defineConfig } from 'tsup';
import { libraryBuild, webgpuTypes } from '../../tsup.base';

export default defineConfig(libraryBuild(['webgpu'], [webgpuTypes]));
