import { expect, it } from 'vitest';
import { basics } from '../examples/basics.js';

it('the README example quantizes with double quantization at 4.127 bits per parameter', () => {
  const { bits, maxError } = basics();
  expect(bits).toBeCloseTo(4.127, 3);
  // NF4's widest gap is 1 − 0.7230 of the block absmax (≤ 1 here): half of it bounds the rounding error.
  expect(maxError).toBeLessThan(0.15);
});
