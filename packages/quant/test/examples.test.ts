import { expect, it } from 'vitest';
import { basics } from '../examples/basics.js';

it('the README example quantizes with double quantization at 4.127 bits per parameter', () => {
  const { bits, maxError } = basics();
  expect(bits).toBeCloseTo(4.127, 3);
  // NF4's widest gap, −1 to −0.6962, is 0.304 of the block absmax (≤ 1 here): half of it, 0.152,
  // bounds the rounding error, plus a little for the double-quantized absmax.
  expect(maxError).toBeLessThan(0.16);
});
