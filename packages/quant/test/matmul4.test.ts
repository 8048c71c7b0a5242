import { describe, expect, it } from 'vitest';
import { dequantize4bit, matmul4bit, QuantError, quantize4bit, withDoubleQuant } from '../src/index.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296 - 0.5;
  };
}

describe('fused 4-bit matmul (CPU reference)', () => {
  it.each([
    ['nf4', 1, 64, 96, false],
    ['fp4', 3, 100, 130, false],
    ['int4', 5, 33, 64, true],
    ['nf4', 2, 17, 257, true],
  ] as const)('%s: x[%i, K] · W[%i, %i]ᵀ equals the product with the dequantized weight (DQ %s)', (type, m, n, k, dq) => {
    const r = lcg(n * k);
    const w = Float32Array.from({ length: n * k }, r);
    let q = quantize4bit(w, type, { blockSize: 64, shape: [n, k] });
    if (dq) q = withDoubleQuant(q);
    const x = Float32Array.from({ length: m * k }, r);
    const y = matmul4bit(x, m, q);
    const wd = dequantize4bit(q);
    for (let i = 0; i < m; i++) {
      for (let o = 0; o < n; o++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += x[i * k + j] * wd[o * k + j];
        expect(Math.abs(y[i * n + o] - s)).toBeLessThan(1e-5 * Math.max(1, Math.abs(s)));
      }
    }
  });

  it('rejects inputs that do not fit the weight', () => {
    const q = quantize4bit(new Float32Array(64 * 4), 'nf4', { shape: [4, 64] });
    expect(() => matmul4bit(new Float32Array(10), 1, q)).toThrow(
      /x must hold 1×64 = 64 values for a weight \[4, 64\], got 10/,
    );
    expect(() => matmul4bit(new Float32Array(64), 1, { ...q, shape: [256] })).toThrow(QuantError);
  });
});
