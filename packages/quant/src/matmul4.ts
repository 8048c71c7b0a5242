import { dequantizeAbsmax, QuantError, type Quantized4 } from './blockwise.js';
import { codeBook } from './codebooks.js';
import { matmul4Cpu } from './device/kernels-cpu.js';

/**
 * The CPU reference of the fused 4-bit matmul: y = x · Wᵀ for x [M, K] (row-major f32) and a
 * quantized weight W [N, K] (PyTorch's Linear layout), reading the packed codes and the absmax
 * (double-quantized or not) directly, one weight row at a time, never materialising W in f32.
 * M = 1 is the GEMV of batch-1 decoding. Returns y [M, N].
 */
export function matmul4bit(x: Float32Array, m: number, w: Quantized4): Float32Array {
  if (w.shape.length !== 2)
    throw new QuantError(`matmul4bit: the weight must be 2-D [out, in], got shape [${w.shape.join(', ')}]`);
  const [n, k] = w.shape;
  if (x.length !== m * k)
    throw new QuantError(
      `matmul4bit: x must hold ${m}×${k} = ${m * k} values for a weight [${n}, ${k}], got ${x.length}`,
    );
  const absmax = w.absmax ?? (w.nested ? dequantizeAbsmax(w.nested) : undefined);
  if (!absmax) throw new QuantError('matmul4bit: the weight has neither absmax nor nested absmax');
  const ref = { bytes: w.packed, absmax, absOffset: 0, blockSize: w.blockSize, book: codeBook(w.type), n, k };
  return matmul4Cpu(x, 0, m, ref, false);
}
