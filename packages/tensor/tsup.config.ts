import { defineConfig } from 'tsup';
import { disposableLib, libraryBuild, webgpuTypes } from '../../tsup.base';

export default defineConfig(
  libraryBuild(['webgpu', '@tessera/gpu', '@tessera/kernels'], [webgpuTypes, disposableLib]),
);
