// Our symmetric Int4 is onnxruntime's MatMulNBits arithmetic ((c − 8) · absmax/7): converted weights
// give the same products in ORT as in our fused-matmul reference.
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module shared with the benchmark
import { matMulNBitsSession, toMatMulNBits } from '../bench/ort-peer.mjs';
import { matmul4bit, quantize4bit } from '../src/index.js';

describe('onnxruntime MatMulNBits interop', () => {
  it('computes our Int4 weights exactly as matmul4bit does', async () => {
    let seed = 9;
    const rand = () => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      return seed / 2 ** 31 - 1;
    };
    for (const [m, n, k, blockSize] of [
      [1, 48, 128, 32],
      [5, 33, 256, 64],
    ]) {
      const q = quantize4bit(Float32Array.from({ length: n * k }, rand), 'int4', {
        blockSize,
        shape: [n, k],
      });
      const run = await matMulNBitsSession(toMatMulNBits(q));
      const x = Float32Array.from({ length: m * k }, rand);
      const y: Float32Array = await run(x, m);
      const ref = matmul4bit(x, m, q);
      for (let i = 0; i < ref.length; i++)
        expect(Math.abs(y[i] - ref[i])).toBeLessThan(1e-4 * (1 + Math.abs(ref[i])));
    }
  });
});
