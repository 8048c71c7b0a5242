import { expect, it } from 'vitest';
import { basics } from '../examples/basics.js';

it('the README example runs and learns something sensible', async () => {
  const { backend, loss, grad } = await basics();
  expect(['cpu', 'wasm', 'webgpu']).toContain(backend);
  if (process.env.TESSERA_REQUIRE_WEBGPU === '1') expect(backend).toBe('webgpu');
  expect(loss).toBeGreaterThan(0);
  expect(grad).toHaveLength(12);
  expect(grad.some((g) => g !== 0)).toBe(true);
});
