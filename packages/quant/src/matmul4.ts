import { dequantizeAbsmax, type Quantized4 } from './blockwise.js';
import { checkCount, checkValues, fail } from './checks.js';
import { codeBook } from './codebooks.js';
import { matmul4Cpu } from './device/kernels-cpu.js';
import { checkQuantized4 } from './validate.js';

/**
 * The CPU reference of the fused 4-bit matmul: y = x · Wᵀ for x [M, K] (row-major f32) and a
 * quantized weight W [N, K] (PyTorch's Linear layout), reading the packed codes and the absmax
 * (double-quantized or not) directly, one weight row at a time, never materialising W in f32.
 * M = 1 is the GEMV of batch-1 decoding. Returns y [M, N].
 */
export function matmul4bit(x: Float32Array, m: number, w: Quantized4): Float32Array {
  checkQuantized4('matmul4bit', w, 'w');
  if (w.shape.length !== 2)
    fail(`matmul4bit: the weight must be 2-D [out, in], got shape [${w.shape.join(', ')}]`);
  checkValues('matmul4bit', 'x', x);
  checkCount('matmul4bit', 'm', m);
  const [n, k] = w.shape;
  if (x.length !== m * k)
    fail(`matmul4bit: x must hold ${m}×${k} = ${m * k} values for a weight [${n}, ${k}], got ${x.length}`);
  const absmax = w.absmax ?? dequantizeAbsmax(w.nested!);
  const ref = { bytes: w.packed, absmax, absOffset: 0, blockSize: w.blockSize, book: codeBook(w.type), n, k };
  return matmul4Cpu(x, 0, m, ref, false);
}
