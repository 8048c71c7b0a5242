// The example of this package's README (test/examples.test.ts runs it).
import { bitsPerParameter, dequantize4bit, quantize4bit, withDoubleQuant } from '../src/index.js';

/** NF4 with double quantization of a random weight; returns the bits per parameter and the worst error. */
export function basics(): { bits: number; maxError: number } {
  const w = Float32Array.from({ length: 4096 }, () => Math.random() * 2 - 1);
  const q = withDoubleQuant(quantize4bit(w, 'nf4', { blockSize: 64 }));
  const back = dequantize4bit(q);
  const maxError = Math.max(...back.map((v, i) => Math.abs(v - w[i])));
  return { bits: bitsPerParameter(64, true), maxError }; // 4.127 bits, error below a block's largest code gap
}
