import { mobyDick } from '@tessera/corpora';
import { expect, it } from 'vitest';
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

it('the QLoRA example trains adapters on a 4-bit base and saves them as PEFT does', async () => {
  const [, backend] = (await backends()).at(-1)!;
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
