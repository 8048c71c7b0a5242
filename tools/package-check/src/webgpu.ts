import { findAdapter } from '@tessera/gpu';
import type { CodeBlock } from './markdown.js';

/** Whether a block needs a WebGPU adapter (it cannot fall back to the CPU as `backend: 'auto'` does). */
export const needsWebgpu = (block: CodeBlock): boolean =>
  /GpuContext\.create|backend: 'webgpu'/.test(block.code);

/**
 * Whether blocks that need WebGPU should run here: when an adapter is found, and always under
 * `TESSERA_REQUIRE_WEBGPU=1`, where a missing adapter must fail them rather than skip them.
 */
export async function webgpuBlocksRun(): Promise<boolean> {
  if (process.env.TESSERA_REQUIRE_WEBGPU === '1') return true;
  return findAdapter().then(
    () => true,
    () => false,
  );
}
