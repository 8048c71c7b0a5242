import { mobyDick } from '@tessera/corpora';
import { webgpuBackend } from '@tessera/tensor';
import { describe, expect, it } from 'vitest';
import { backends } from '../../nn/test/helpers.js';
import { basics } from '../examples/basics.js';
import { qlora } from '../examples/qlora.js';

it('the README example quantizes with double quantization at 4.127 bits per parameter', () => {
  const { bits, maxError } = basics();
  expect(bits).toBeCloseTo(4.127, 3);
  // NF4's widest gap, −1 to −0.6962, is 0.304 of the block absmax (≤ 1 here): half of it, 0.152,
  // bounds the rounding error, plus a little for the double-quantized absmax.
  expect(maxError).toBeLessThan(0.16);
});

// Every backend there is; without a WebGPU adapter (and without TESSERA_REQUIRE_WEBGPU=1, under which
// `backends()` throws instead) the WebGPU run is reported as skipped, not replaced by the CPU.
const list = await backends();
const hasWebgpu = list.some(([name]) => name === 'webgpu');

describe.each(
  list.map(([name, backend]) => [`${name} (${backend.description})`, backend] as const),
)('the QLoRA example on %s', (_name, backend) => {
  it('trains adapters on a 4-bit base and saves them as PEFT does', async () => {
    const { losses, adapter, bytesBefore, bytesAfter } = await qlora(backend, mobyDick().subarray(0, 20_000));
    expect(losses.at(-1)!).toBeLessThan(losses[0]);
    expect(bytesBefore / bytesAfter).toBeGreaterThan(6.5);
    expect(JSON.parse(adapter.config).target_modules).toEqual([
      'down_proj',
      'gate_proj',
      'k_proj',
      'o_proj',
      'q_proj',
      'up_proj',
      'v_proj',
    ]);
  });
});

if (!hasWebgpu) {
  const reason = await webgpuBackend().then(
    () => 'it appeared on a second try',
    (e: Error) => e.message,
  );
  it.skip(`the QLoRA example on webgpu, skipped (TESSERA_REQUIRE_WEBGPU=1 makes this an error): ${reason}`, () => {});
}
